using System.Text.Json;

namespace Backstop.Cli.Remote;

/// <summary>
/// Where a signed-in CLI keeps its server and token: <c>$XDG_CONFIG_HOME/backstop/credentials</c> (else
/// <c>~/.config/backstop/credentials</c>), mode 0600, or <c>BACKSTOP_SERVER</c> and <c>BACKSTOP_TOKEN</c> for scripts,
/// which take precedence. The token is the only secret the client holds; the server keeps only its hash.
/// </summary>
internal sealed record Credentials(string Server, string Token, string? User, DateTimeOffset? Expires)
{
    public const string ServerVariable = "BACKSTOP_SERVER";
    public const string TokenVariable = "BACKSTOP_TOKEN";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string PathFor(CliHost host)
    {
        // Only this host's variables say where home is: a CLI run with none of them (a test's) has no credentials.
        var root = host.Variables("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : host.Variables("HOME") is { Length: > 0 } home ? Path.Combine(home, ".config") : null;
        return root is null ? "" : Path.Combine(root, "backstop", "credentials");
    }

    /// <summary>The credentials in effect, or null when this CLI works locally.</summary>
    /// <exception cref="UsageException">the file cannot be read, or only one of the two variables is set.</exception>
    public static Credentials? Load(CliHost host)
    {
        var (server, token) = (host.Variables(ServerVariable), host.Variables(TokenVariable));
        if (server is { Length: > 0 } || token is { Length: > 0 })
        {
            return server is { Length: > 0 } && token is { Length: > 0 }
                ? new Credentials(server, token, null, null)
                : throw new UsageException($"set both {ServerVariable} and {TokenVariable} (or neither, to use `backstop login`)");
        }

        var path = PathFor(host);
        if (path.Length == 0 || !File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<Credentials>(File.ReadAllText(path), Json) is { Server.Length: > 0, Token.Length: > 0 } found
                ? found
                : throw new UsageException($"the credentials file {path} is not valid; delete it and run `backstop login URL` again");
        }
        catch (JsonException)
        {
            throw new UsageException($"the credentials file {path} is not valid JSON; delete it and run `backstop login URL` again");
        }
    }

    /// <summary>Writes the file readable and writable by its owner only, created that way (never widened, then narrowed).</summary>
    public void Save(CliHost host)
    {
        var path = PathFor(host);
        if (path.Length == 0)
        {
            throw new UsageException("neither HOME nor XDG_CONFIG_HOME is set, so there is nowhere to keep the token; set one, or use BACKSTOP_SERVER and BACKSTOP_TOKEN");
        }

        var directory = Path.GetDirectoryName(path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
            return;
        }

        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(JsonSerializer.Serialize(this, Json));
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public static bool Delete(CliHost host)
    {
        var path = PathFor(host);
        if (path.Length == 0 || !File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }
}
