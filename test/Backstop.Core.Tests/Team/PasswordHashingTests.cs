using Backstop.Core.Team;

namespace Backstop.Core.Tests.Team;

public sealed class PasswordHashingTests
{
    [Fact]
    public void Hash_is_argon2id_salted_and_verifies_only_the_same_password()
    {
        var first = PasswordHashing.Hash("correct horse battery");
        var second = PasswordHashing.Hash("correct horse battery");

        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", first);
        Assert.NotEqual(first, second);
        Assert.DoesNotContain("correct horse", first);
        Assert.True(PasswordHashing.Verify("correct horse battery", first));
        Assert.False(PasswordHashing.Verify("correct horse battery ", first));
    }

    [Theory]
    [InlineData("")]
    [InlineData("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$")]
    [InlineData("$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA")]
    [InlineData("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA")]
    [InlineData("plain text password")]
    public void Verify_a_hash_it_cannot_read_is_false_not_an_error(string stored) => Assert.False(PasswordHashing.Verify("anything", stored));

    [Fact]
    public void Tokens_are_random_prefixed_and_stored_as_sha256()
    {
        var token = AccessTokens.New();
        Assert.True(AccessTokens.LooksLikeToken(token));
        Assert.NotEqual(token, AccessTokens.New());
        Assert.Equal(64, AccessTokens.HashOf(token).Length);
        Assert.False(AccessTokens.LooksLikeToken("bst_short"));
    }
}
