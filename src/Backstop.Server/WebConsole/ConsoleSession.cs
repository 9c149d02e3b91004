using System.Security.Cryptography;
using System.Text;
using Backstop.Server.Services;
using Microsoft.AspNetCore.Http;

namespace Backstop.Server.WebConsole;

/// <summary>
/// The console's sign-in: the same token the API gives (hashed in the state store, expiring, revoked at sign-out), kept
/// in a cookie the page's scripts cannot read (HttpOnly; there are no scripts anyway), sent only to this site
/// (SameSite=Strict), and only over TLS when the server has it (Secure, and the __Host- prefix).
/// </summary>
/// <remarks>
/// Anti-forgery: every form carries a token derived from the session's own token (an HMAC of it), checked on every
/// state-changing request. A forged request from another site has neither the cookie (SameSite=Strict) nor the form
/// token (it cannot read the cookie to derive it). The sign-in form, before any session, has a double-submitted random
/// value instead. Nothing is kept on the server for either, so several server processes behind a load balancer agree.
/// </remarks>
internal static class ConsoleSession
{
    public const string FormField = "csrf";

    private const string PlainCookie = "backstop_console";
    private const string SecureCookie = "__Host-backstop_console";
    private const string PlainSignInCookie = "backstop_signin";
    private const string SecureSignInCookie = "__Host-backstop_signin";

    public static string? Token(HttpContext http) =>
        http.Request.Cookies[http.Request.IsHttps ? SecureCookie : PlainCookie];

    public static void Start(HttpContext http, string token, DateTimeOffset expires) =>
        http.Response.Cookies.Append(http.Request.IsHttps ? SecureCookie : PlainCookie, token, Options(http, expires));

    public static void End(HttpContext http) =>
        http.Response.Cookies.Delete(http.Request.IsHttps ? SecureCookie : PlainCookie, Options(http, null));

    /// <summary>The form token of the signed-in session.</summary>
    public static string FormToken(string sessionToken)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(sessionToken), "backstop console form v1"u8);
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <exception cref="ProblemException">403: the request has no form token, or not this session's.</exception>
    public static void CheckForm(HttpContext http, IFormCollection form, string sessionToken)
    {
        if (!Same(form[FormField].ToString(), FormToken(sessionToken)))
        {
            throw ProblemException.Refused("the form's anti-forgery token is missing or wrong; reload the page and try again");
        }
    }

    /// <summary>A fresh random value for the sign-in form, set as a cookie too.</summary>
    public static string SignInToken(HttpContext http)
    {
        var value = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        http.Response.Cookies.Append(http.Request.IsHttps ? SecureSignInCookie : PlainSignInCookie, value, Options(http, null));
        return value;
    }

    /// <exception cref="ProblemException">403: the sign-in form's value does not match its cookie.</exception>
    public static void CheckSignIn(HttpContext http, IFormCollection form)
    {
        var cookie = http.Request.Cookies[http.Request.IsHttps ? SecureSignInCookie : PlainSignInCookie];
        if (string.IsNullOrEmpty(cookie) || !Same(form[FormField].ToString(), cookie))
        {
            throw ProblemException.Refused("the sign-in form's anti-forgery token is missing or wrong; reload the sign-in page and try again");
        }
    }

    private static bool Same(string a, string b) =>
        a.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static CookieOptions Options(HttpContext http, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = http.Request.IsHttps,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };
}
