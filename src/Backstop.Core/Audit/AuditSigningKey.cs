using System.Security.Cryptography;
using System.Text;
using Backstop.Core.Configuration;

namespace Backstop.Core.Audit;

/// <summary>
/// The key that signs audit checkpoints: ECDSA on P-256, its private key in a PEM file (PKCS#8) that only its owner may
/// read (mode 0600), by default <c>.backstop/server-signing-key.pem</c> beside backstop.yaml. Whoever holds it can sign
/// any tree head, so it must stay on the machine that keeps the log; auditors get <see cref="PublicKeyPem"/>.
/// </summary>
public sealed class AuditSigningKey : IDisposable
{
    public const string DefaultFileName = "server-signing-key.pem";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly ECDsa _key;

    private AuditSigningKey(string path, ECDsa key)
    {
        Path = path;
        _key = key;
        PublicKeyPem = key.ExportSubjectPublicKeyInfoPem();
        KeyId = KeyIdOf(key);
    }

    public string Path { get; }

    /// <summary>The public key (SubjectPublicKeyInfo, PEM), to hand to whoever verifies.</summary>
    public string PublicKeyPem { get; }

    public string KeyId { get; }

    /// <summary>Loads the key at <paramref name="path"/>, or creates one there (and its directory) if there is none.</summary>
    /// <exception cref="ConfigException">the file may be read by other users, or holds no ECDSA P-256 private key.</exception>
    public static AuditSigningKey LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            return Load(path);
        }

        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Created with mode 0600, never readable by others, not even for a moment.
            options.UnixCreateMode = OwnerOnly;
        }

        try
        {
            using var file = new FileStream(path, options);
            file.Write(Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()));
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first: use that one.
            key.Dispose();
            return Load(path);
        }

        return new AuditSigningKey(path, key);
    }

    /// <summary>Loads the key at <paramref name="path"/>.</summary>
    /// <exception cref="ConfigException">there is no file, it may be read by other users, or it holds no ECDSA P-256 private key.</exception>
    public static AuditSigningKey Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException($"there is no audit signing key at {path}; give the right file with --key, or sign a checkpoint first (`backstop audit checkpoint`) to create one");
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOthers) != 0)
        {
            throw new ConfigException(
                $"the audit signing key {path} may be read by other users (mode {Octal(File.GetUnixFileMode(path))}), so anyone on this machine could sign checkpoints; " +
                $"nothing was signed. Run `chmod 600 {path}`, and make a new key if others may have copied it");
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
            if (key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new ConfigException($"the audit signing key {path} is not on the curve P-256; move it away and a new one is made at the next checkpoint");
            }

            return new AuditSigningKey(path, key);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new ConfigException($"the audit signing key {path} holds no ECDSA private key in PEM ({e.Message}); move it away and a new one is made at the next checkpoint");
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>A public key from its PEM text (SubjectPublicKeyInfo).</summary>
    /// <exception cref="FormatException">the text holds no ECDSA public key.</exception>
    public static ECDsa PublicKeyFromPem(string pem)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            return key;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new FormatException($"not an ECDSA public key in PEM: {e.Message}", e);
        }
    }

    /// <summary>The first 16 hex digits of the SHA-256 of the key's SubjectPublicKeyInfo (DER).</summary>
    public static string KeyIdOf(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];

    /// <summary>Signs the tree head of <paramref name="treeSize"/> entries.</summary>
    public AuditCheckpoint Sign(long treeSize, string rootHash, DateTimeOffset at)
    {
        at = AuditEntryJson.Microseconds(at);
        var signature = _key.SignData(Encoding.UTF8.GetBytes(AuditCheckpoint.SignedText(treeSize, rootHash, at)), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new AuditCheckpoint { TreeSize = treeSize, RootHash = rootHash, At = at, Signature = Convert.ToBase64String(signature), KeyId = KeyId };
    }

    public void Dispose() => _key.Dispose();

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
