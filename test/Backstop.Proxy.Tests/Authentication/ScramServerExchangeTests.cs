using Backstop.Core.Team;
using System.Text;
using Backstop.Proxy.Authentication;
using Backstop.Proxy.Protocol;
using Backstop.Proxy.Protocol.Frontend;
using Backstop.Proxy.Tests.Support;

namespace Backstop.Proxy.Tests.Authentication;

public sealed class ScramServerExchangeTests
{
    // RFC 7677 section 3, "Test Vector": user "user", password "pencil".
    private const string ClientNonce = "rOprNGfwEbeRWgbNEkqO";
    private const string ServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    private const string Salt = "W22ZaJ0SNY7soEsUEjb6gQ==";
    private const string ClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    private const string ServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    private const string ClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    private const string ServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    private static readonly ScramVerifier Pencil = ScramVerifier.Create("pencil", Convert.FromBase64String(Salt), 4096);

    [Fact]
    public void Exchange_rfc7677_test_vector_gives_the_rfc_server_messages()
    {
        var exchange = ScramServerExchange.WithServerNonce(Pencil, ServerNonce);

        var serverFirst = exchange.HandleInitialResponse(new SaslInitialResponse("SCRAM-SHA-256", Bytes(ClientFirst)));
        var outcome = exchange.HandleClientFinal(Bytes(ClientFinal));

        Assert.Equal(ServerFirst, Encoding.ASCII.GetString(serverFirst));
        Assert.True(outcome.Authenticated);
        Assert.Equal(ServerFinal, Encoding.ASCII.GetString(outcome.ServerFinalMessage!));
    }

    [Fact]
    public void Exchange_wrong_password_is_not_authenticated()
    {
        var verifier = ScramVerifier.Create("correct horse battery");
        var exchange = ScramServerExchange.ForUser(verifier);
        var client = new ScramTestClient("wrong horse battery", ClientNonce);

        var serverFirst = Encoding.ASCII.GetString(exchange.HandleClientFirst(Bytes(client.ClientFirst())));
        var outcome = exchange.HandleClientFinal(Bytes(client.ClientFinal(serverFirst)));

        Assert.False(outcome.Authenticated);
        Assert.Null(outcome.ServerFinalMessage);
    }

    [Theory]
    [InlineData("n,,")]
    [InlineData("y,,")]
    public void Exchange_right_password_is_authenticated_with_either_binding_flag(string gs2Header)
    {
        var exchange = ScramServerExchange.ForUser(ScramVerifier.Create("correct horse battery"));
        var client = new ScramTestClient("correct horse battery", ClientNonce, gs2Header);

        var serverFirst = Encoding.ASCII.GetString(exchange.HandleClientFirst(Bytes(client.ClientFirst())));
        var outcome = exchange.HandleClientFinal(Bytes(client.ClientFinal(serverFirst)));

        Assert.True(outcome.Authenticated);
        Assert.StartsWith($"r={ClientNonce}", serverFirst, StringComparison.Ordinal);
        Assert.Equal(ClientNonce.Length + 24, serverFirst.Split(',')[0].Length - 2);
    }

    [Theory]
    [InlineData("correct horse battery", true)]
    [InlineData("bst_a-sign-in-token-of-the-person", true)]
    [InlineData("bst_a-token-with-another-salt", false)]
    [InlineData("a wrong guess entirely", false)]
    public void Exchange_with_token_verifiers_accepts_the_password_or_a_live_token_sharing_its_salt(string secret, bool accepted)
    {
        var password = ScramVerifier.Create("correct horse battery");
        var token = ScramVerifier.Create("bst_a-sign-in-token-of-the-person", password.Salt, password.Iterations);
        var otherSalt = ScramVerifier.Create("bst_a-token-with-another-salt", password.Iterations);
        var exchange = ScramServerExchange.ForUser(password, [token, otherSalt]);
        var client = new ScramTestClient(secret, ClientNonce);

        var serverFirst = Encoding.ASCII.GetString(exchange.HandleClientFirst(Bytes(client.ClientFirst())));
        var outcome = exchange.HandleClientFinal(Bytes(client.ClientFinal(serverFirst)));

        Assert.Equal(accepted, outcome.Authenticated);
        if (accepted)
        {
            // The server proves itself with the key of the secret that held, which the client checks.
            Assert.True(client.VerifyServerFinal(Encoding.ASCII.GetString(outcome.ServerFinalMessage!), serverFirst));
        }
    }

    [Fact]
    public void Exchange_unknown_user_is_played_to_the_end_and_refused_with_a_stable_salt()
    {
        var secret = "server secret"u8.ToArray();
        var first = ScramServerExchange.ForUnknownUser("mallory", secret);
        var second = ScramServerExchange.ForUnknownUser("mallory", secret);
        var client = new ScramTestClient("anything at all", ClientNonce);

        var serverFirst = Encoding.ASCII.GetString(first.HandleClientFirst(Bytes(client.ClientFirst())));
        var again = Encoding.ASCII.GetString(second.HandleClientFirst(Bytes(client.ClientFirst())));
        var outcome = first.HandleClientFinal(Bytes(client.ClientFinal(serverFirst)));

        Assert.False(outcome.Authenticated);
        Assert.Equal(serverFirst.Split(',')[1], again.Split(',')[1]);
    }

    [Fact]
    public void Exchange_over_long_nonce_is_violation()
    {
        var exchange = ScramServerExchange.ForUser(Pencil);
        var nonce = new string('x', ScramServerExchange.MaximumClientNonceLength + 1);

        var violation = Assert.Throws<ProtocolViolationException>(() => exchange.HandleClientFirst(Bytes($"n,,n=,r={nonce}")));

        Assert.Contains("client nonce has 257 characters", violation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7A")]
    [InlineData("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")]
    [InlineData("c=biws,r=rOprNGfwEbeRWgbNE")]
    [InlineData("c=bi")]
    [InlineData("")]
    public void Exchange_truncated_final_message_is_violation(string truncated)
    {
        var exchange = ScramServerExchange.WithServerNonce(Pencil, ServerNonce);
        exchange.HandleClientFirst(Bytes(ClientFirst));

        var violation = Assert.Throws<ProtocolViolationException>(() => exchange.HandleClientFinal(Bytes(truncated)));

        Assert.StartsWith("malformed SCRAM message", violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exchange_final_message_with_another_nonce_is_violation()
    {
        var exchange = ScramServerExchange.WithServerNonce(Pencil, ServerNonce);
        exchange.HandleClientFirst(Bytes(ClientFirst));

        Assert.Throws<ProtocolViolationException>(() => exchange.HandleClientFinal(Bytes(ClientFinal.Replace("k0,p=", "k1,p=", StringComparison.Ordinal))));
    }

    [Fact]
    public void Exchange_final_message_with_wrong_binding_is_violation()
    {
        var exchange = ScramServerExchange.WithServerNonce(Pencil, ServerNonce);
        exchange.HandleClientFirst(Bytes(ClientFirst));

        Assert.Throws<ProtocolViolationException>(() => exchange.HandleClientFinal(Bytes(ClientFinal.Replace("c=biws", "c=eSws", StringComparison.Ordinal))));
    }

    [Theory]
    [InlineData("p=tls-server-end-point,,n=,r=abc")]
    [InlineData("n,a=admin,n=,r=abc")]
    [InlineData("n,,m=ext,n=,r=abc")]
    [InlineData("n,,r=abc")]
    [InlineData("x,,n=,r=abc")]
    [InlineData("n,,n=,r=")]
    [InlineData("n,,n=,r=ab,c")]
    public void Exchange_malformed_first_message_is_violation(string clientFirst)
    {
        var exchange = ScramServerExchange.ForUser(Pencil);

        Assert.Throws<ProtocolViolationException>(() => exchange.HandleClientFirst(Bytes(clientFirst)));
    }

    [Fact]
    public void Exchange_other_mechanism_is_violation()
    {
        var exchange = ScramServerExchange.ForUser(Pencil);

        Assert.Throws<ProtocolViolationException>(() => exchange.HandleInitialResponse(new SaslInitialResponse("SCRAM-SHA-256-PLUS", Bytes(ClientFirst))));
    }

    [Fact]
    public void Exchange_final_before_first_is_violation()
    {
        var exchange = ScramServerExchange.ForUser(Pencil);

        Assert.Throws<ProtocolViolationException>(() => exchange.HandleClientFinal(Bytes(ClientFinal)));
    }

    [Fact]
    public void Create_verifier_text_round_trips_in_postgres_format()
    {
        var text = Pencil.ToString();
        var parsed = ScramVerifier.TryParse(text);

        Assert.StartsWith($"SCRAM-SHA-256$4096:{Salt}$", text, StringComparison.Ordinal);
        Assert.NotNull(parsed);
        Assert.Equal(text, parsed.ToString());
    }

    [Theory]
    [InlineData("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")]
    [InlineData("SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA")]
    [InlineData("SCRAM-SHA-256$0:c2FsdA==$")]
    [InlineData("")]
    public void TryParse_other_text_is_null(string text)
    {
        Assert.Null(ScramVerifier.TryParse(text));
    }

    [Theory]
    [InlineData("pencil", "SCRAM-SHA-256$4096:zFOQXTnlcvyg/xayYQ97hQ==$I91V5G0fs+opTNH1CoTzCZoNb+aIpd/cypobxOiNDqA=:QFcnva545THMmkW6jIxtdxMTDXxRnEB/TzoA+znrg0E=")]
    [InlineData("p\u00e2ssw\u00a0rd\u00ad!", "SCRAM-SHA-256$4096:QJikZK5ET+e8H12VlK/HzA==$Pqx2ioHotkaT1rmNf5BaBtLieZ5U8JCVE6Nz/Tjv0Jg=:LDiytbnPYecoLk6PQLdgX/pJioNVpJPngSRU/LQE1hc=")]
    public void Create_with_the_salt_postgres_chose_gives_the_verifier_postgres_stored(string password, string rolpassword)
    {
        // rolpassword as PostgreSQL 15 stored it after SET password_encryption = 'scram-sha-256' and CREATE ROLE ... PASSWORD;
        // the second password needs SASLprep: a no-break space mapped to a space, a soft hyphen mapped to nothing.
        var stored = ScramVerifier.TryParse(rolpassword)!;

        var computed = ScramVerifier.Create(password, stored.Salt, stored.Iterations);

        Assert.Equal(rolpassword, computed.ToString());
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
