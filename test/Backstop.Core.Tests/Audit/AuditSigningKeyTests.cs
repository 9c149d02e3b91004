using Backstop.Core.Audit;
using Backstop.Core.Configuration;

namespace Backstop.Core.Tests.Audit;

/// <summary>The checkpoint signing key: created owner-only, refused when others may read it, and its signatures.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AuditSigningKeyTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "backstop-audit-key-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void LoadOrCreate_missing_file_creates_directory_and_key_with_mode_0600_and_loads_the_same_key_again()
    {
        var path = Path.Combine(_directory, ".backstop", AuditSigningKey.DefaultFileName);

        using var created = AuditSigningKey.LoadOrCreate(path);
        using var loaded = AuditSigningKey.LoadOrCreate(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Equal(created.KeyId, loaded.KeyId);
        Assert.Equal(16, created.KeyId.Length);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", created.PublicKeyPem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(UnixFileMode.GroupRead, "0640")]
    [InlineData(UnixFileMode.OtherRead, "0604")]
    public void Load_key_readable_by_group_or_others_is_refused_naming_the_file_and_chmod_600(UnixFileMode extra, string mode)
    {
        var path = Path.Combine(_directory, "key.pem");
        AuditSigningKey.LoadOrCreate(path).Dispose();
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);

        var error = Assert.Throws<ConfigException>(() => AuditSigningKey.LoadOrCreate(path));

        Assert.Equal(
            $"the audit signing key {path} may be read by other users (mode {mode}), so anyone on this machine could sign checkpoints; " +
            $"nothing was signed. Run `chmod 600 {path}`, and make a new key if others may have copied it",
            error.Message);
    }

    [Fact]
    public void Load_missing_file_is_refused_naming_it()
    {
        var path = Path.Combine(_directory, "none.pem");

        var error = Assert.Throws<ConfigException>(() => AuditSigningKey.Load(path));

        Assert.StartsWith($"there is no audit signing key at {path}", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Sign_checkpoint_verifies_with_its_public_key_and_not_when_changed_or_with_another_key()
    {
        using var key = AuditSigningKey.LoadOrCreate(Path.Combine(_directory, "a.pem"));
        using var other = AuditSigningKey.LoadOrCreate(Path.Combine(_directory, "b.pem"));
        using var publicKey = AuditSigningKey.PublicKeyFromPem(key.PublicKeyPem);
        using var otherPublicKey = AuditSigningKey.PublicKeyFromPem(other.PublicKeyPem);

        var checkpoint = key.Sign(500, new string('d', 64), DateTimeOffset.UtcNow);

        Assert.Equal(key.KeyId, checkpoint.KeyId);
        Assert.True(checkpoint.IsSignedBy(publicKey));
        Assert.False(checkpoint.IsSignedBy(otherPublicKey));
        Assert.False((checkpoint with { TreeSize = 501 }).IsSignedBy(publicKey));
        Assert.False((checkpoint with { RootHash = new string('e', 64) }).IsSignedBy(publicKey));
        Assert.False((checkpoint with { At = checkpoint.At.AddTicks(10) }).IsSignedBy(publicKey));
        Assert.StartsWith($"backstop-audit-checkpoint v1\n500\n{new string('d', 64)}\n", checkpoint.SignedText(), StringComparison.Ordinal);
    }
}
