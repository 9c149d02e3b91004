using System.Text.RegularExpressions;
using Backstop.Postgres.Sandbox;
using Backstop.Postgres.Tools;

namespace Backstop.Recovery.Pitr;

/// <summary>What a data directory on this machine says about its cluster: major version and system identifier.</summary>
public sealed partial record ClusterDirectory(string Path, string MajorVersion, string SystemIdentifier, ClusterOwner Owner)
{
    /// <summary>The server's configuration file is elsewhere (Debian keeps it in <c>/etc/postgresql</c>).</summary>
    public bool ConfigurationOutside => !File.Exists(System.IO.Path.Combine(Path, "postgresql.conf"));

    public PgBinaries Binaries => PgBinaries.ForMajorVersion(MajorVersion);

    /// <summary>
    /// The running server's first socket directory, from line 5 of postmaster.pid (docs: "Database File Layout"); null
    /// when the server is not running or listens on no socket. Unlike unix_socket_directories, it needs no privilege.
    /// </summary>
    public string? PostmasterSocketDirectory()
    {
        try
        {
            var lines = File.ReadAllLines(System.IO.Path.Combine(Path, "postmaster.pid"));
            return lines.Length > 4 && lines[4].StartsWith('/') ? lines[4].Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <exception cref="PitrException">the path is not a data directory, or pg_controldata cannot read it.</exception>
    public static async Task<ClusterDirectory> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var versionFile = System.IO.Path.Combine(path, "PG_VERSION");
        if (!File.Exists(versionFile))
        {
            throw new PitrException(
                $"{path} is not a PostgreSQL data directory (it has no PG_VERSION); give the cluster's data directory, as `SHOW data_directory` prints it",
                isUsageError: true);
        }

        var major = (await File.ReadAllTextAsync(versionFile, cancellationToken)).Trim();
        var owner = await ClusterOwner.OfAsync(path, cancellationToken);
        var controlData = await owner.RunAsync(PgBinaries.ForMajorVersion(major).Path("pg_controldata"), ["-D", path], cancellationToken);
        var match = SystemIdentifierLine().Match(controlData.Output);
        if (!controlData.Succeeded || !match.Success)
        {
            throw new PitrException($"pg_controldata could not read {path}: {controlData.ErrorSummary()}");
        }

        return new ClusterDirectory(path, major, match.Groups[1].Value, owner);
    }

    [GeneratedRegex(@"^Database system identifier:\s+(\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex SystemIdentifierLine();
}
