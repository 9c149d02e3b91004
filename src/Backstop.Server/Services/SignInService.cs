using Backstop.Core.Configuration;
using Backstop.Core.Team;

namespace Backstop.Server.Services;

/// <summary>
/// Sign-in and tokens (docs/server.md "People and sign-in"): a password checked against its Argon2id hash gives a token
/// that expires; failures are counted and audited, and the <see cref="ServerSettings.LockAfter"/>-th in a row locks the
/// account until an admin resets its password. Every refusal says the same for an unknown name and a wrong password.
/// </summary>
public sealed class SignInService(TeamStore team, ServerSettings settings, IAuditTrail audit, TimeProvider clock)
{
    private const string Refusal = "the user name or password is wrong";

    /// <summary>Verified against when the name is unknown, so that a wrong name takes as long as a wrong password.</summary>
    private static readonly Lazy<string> Decoy = new(() => PasswordHashing.Hash(Guid.NewGuid().ToString()));

    /// <returns>the new token (given to the client once, kept here only as its hash) and when it expires.</returns>
    public async Task<(string Token, DateTimeOffset Expires, TeamUser User)> SignInAsync(string name, string password, string? from, string? client, CancellationToken cancellationToken)
    {
        var user = await team.GetUserAsync(name, cancellationToken);
        if (user is null)
        {
            PasswordHashing.Verify(password, Decoy.Value);
            await audit.RecordAsync(new AuditEvent(name, from, "signin.failed", null, $"user {name}", "failed", new Dictionary<string, string> { ["reason"] = "unknown user" }), cancellationToken);
            throw ProblemException.SignIn(Refusal);
        }

        if (user.Disabled || user.LockedAt is not null)
        {
            var why = user.Disabled ? "disabled" : "locked";
            await audit.RecordAsync(new AuditEvent(name, from, "signin.failed", null, $"user {name}", "failed", new Dictionary<string, string> { ["reason"] = why }), cancellationToken);
            throw ProblemException.SignIn(user.Disabled
                ? $"user {name} is disabled; ask an admin to enable the account"
                : $"user {name} is locked after {user.FailedAttempts} failed sign-ins; ask an admin to run `backstop user reset-password {name}`");
        }

        if (user.Role == TeamRole.Service)
        {
            // Checked before the password, and answered like a wrong one would be only in what it costs: a service
            // account has no use for an API token, and a leaked application password must not become one.
            PasswordHashing.Verify(password, Decoy.Value);
            await audit.RecordAsync(new AuditEvent(name, from, "signin.failed", null, $"user {name}", "failed", new Dictionary<string, string> { ["reason"] = "service account" }), cancellationToken);
            throw ProblemException.SignIn($"user {name} is a service account: it connects through the proxy (docs/proxy.md), and cannot sign in to the API");
        }

        if (!PasswordHashing.Verify(password, user.PasswordHash))
        {
            var (failures, locked) = await team.RecordFailedSignInAsync(name, settings.LockAfter, clock.GetUtcNow(), cancellationToken);
            await audit.RecordAsync(new AuditEvent(name, from, "signin.failed", null, $"user {name}", "failed", new Dictionary<string, string>
            {
                ["reason"] = "wrong password",
                ["failures"] = failures.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }), cancellationToken);
            if (locked)
            {
                await audit.RecordAsync(new AuditEvent("backstop", from, "user.locked", null, $"user {name}", "ok"), cancellationToken);
                throw ProblemException.SignIn($"user {name} is now locked after {failures} failed sign-ins; ask an admin to run `backstop user reset-password {name}`");
            }

            throw ProblemException.SignIn(Refusal);
        }

        await team.RecordGoodSignInAsync(name, cancellationToken);
        var token = AccessTokens.New();
        var now = clock.GetUtcNow();
        var expires = now + settings.TokenExpiry;
        // The token's SCRAM verifier shares the password's salt and iterations: the proxy's one SCRAM exchange then
        // accepts either.
        var scram = user.ScramVerifier is { } stored && ScramVerifier.TryParse(stored) is { } passwordVerifier
            ? ScramVerifier.Create(token, passwordVerifier.Salt, passwordVerifier.Iterations).ToString()
            : null;
        await team.AddTokenAsync(AccessTokens.HashOf(token), name, now, expires, client, cancellationToken, scram);
        await audit.RecordAsync(new AuditEvent(name, from, "signin", null, $"user {name}", "ok"), cancellationToken);
        await audit.RecordAsync(new AuditEvent(name, from, "token.issued", null, $"user {name}", "ok", new Dictionary<string, string> { ["expires"] = expires.ToString("O") }), cancellationToken);
        return (token, expires, user);
    }

    /// <summary>The person a bearer token belongs to.</summary>
    /// <exception cref="ProblemException">401: no token, an unknown, revoked or expired one, or a disabled or locked account.</exception>
    public async Task<SignedInUser> AuthenticateAsync(string? token, string? from, CancellationToken cancellationToken)
    {
        if (token is null || !AccessTokens.LooksLikeToken(token))
        {
            throw ProblemException.SignIn("not signed in; log in again with `backstop login URL`");
        }

        var hash = AccessTokens.HashOf(token);
        var found = await team.FindTokenAsync(hash, cancellationToken);
        if (found is not { } live)
        {
            throw ProblemException.SignIn("the token is not known to this server; log in again with `backstop login URL`");
        }

        if (live.Revoked)
        {
            throw ProblemException.SignIn("the token was revoked (logged out, or the password was reset); log in again with `backstop login URL`");
        }

        if (live.Expires < clock.GetUtcNow())
        {
            throw ProblemException.SignIn($"the token expired at {live.Expires:u}; log in again with `backstop login URL`");
        }

        var user = await team.GetUserAsync(live.User, cancellationToken);
        if (user is null || user.Disabled || user.LockedAt is not null)
        {
            throw ProblemException.SignIn($"user {live.User} may no longer sign in (disabled or locked); ask an admin, then log in again");
        }

        return new SignedInUser(user, hash, from);
    }

    public async Task SignOutAsync(SignedInUser user, CancellationToken cancellationToken)
    {
        await team.RevokeTokenAsync(user.TokenHash, clock.GetUtcNow(), cancellationToken);
        await audit.RecordAsync(new AuditEvent(user.Name, user.From, "token.revoked", null, $"user {user.Name}", "ok"), cancellationToken);
    }
}
