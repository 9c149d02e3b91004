using System.Text;
using Backstop.Postgres.Sandbox;

namespace Backstop.Postgres.Tools;

/// <summary>
/// Runs pgBackRest for one stanza, as the cluster's owner (<see cref="ClusterOwner"/>), always with
/// <c>--config</c> pointing at the file Backstop wrote, so that nothing in <c>/etc/pgbackrest</c> or in the caller's
/// <c>PGBACKREST_*</c> variables changes what it does. pgBackRest reaches the local server through its Unix socket
/// as the owner; no password is ever passed to it.
/// </summary>
public sealed class PgBackRest(string configFile, string stanza, ClusterOwner owner)
{
    public string ConfigFile { get; } = configFile;

    public string Stanza { get; } = stanza;

    public ClusterOwner Owner { get; } = owner;

    /// <summary><c>BACKSTOP_PGBACKREST</c>, else <c>pgbackrest</c> on <c>PATH</c>.</summary>
    public static string Executable
    {
        get
        {
            if (Environment.GetEnvironmentVariable("BACKSTOP_PGBACKREST") is { Length: > 0 } configured)
            {
                return File.Exists(configured)
                    ? configured
                    : throw new SandboxException($"BACKSTOP_PGBACKREST is '{configured}', but there is no such file; point it at the pgbackrest program");
            }

            foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin"))
            {
                var candidate = Path.Combine(directory, "pgbackrest");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new SandboxException("pgBackRest was not found; install it with `apt-get install pgbackrest` (or set BACKSTOP_PGBACKREST to the program)");
        }
    }

    /// <summary>
    /// The <c>archive_command</c> that pushes each finished WAL segment into the repository. PostgreSQL runs it
    /// through the shell, replacing <c>%p</c> and reading <c>%%</c> as a percent sign (docs: "Continuous Archiving
    /// and Point-in-Time Recovery → Setting Up WAL Archiving").
    /// </summary>
    public string ArchivePushCommand =>
        $"{Shell(Executable)} {Shell("--config=" + ConfigFile)} {Shell("--stanza=" + Stanza)} archive-push %p";

    /// <summary>Runs <c>pgbackrest --config=… --stanza=… [options] command</c>.</summary>
    public Task<ToolResult> RunAsync(string command, IReadOnlyList<string> options, CancellationToken cancellationToken) =>
        Owner.RunAsync(Executable, [$"--config={ConfigFile}", $"--stanza={Stanza}", .. options, command], cancellationToken);

    /// <summary>
    /// Copies one archived WAL segment (by file name, e.g. <c>000000010000000000000007</c>) to <paramref name="destination"/>,
    /// a path the owner may write; fails when the archive does not hold it.
    /// </summary>
    public Task<ToolResult> ArchiveGetAsync(string segment, string destination, CancellationToken cancellationToken) =>
        Owner.RunAsync(Executable, [$"--config={ConfigFile}", $"--stanza={Stanza}", "archive-get", segment, destination], cancellationToken);

    /// <summary>A word for the shell, quoted only when it needs to be, with <c>%</c> doubled for archive_command.</summary>
    private static string Shell(string word)
    {
        var escaped = word.Replace("%", "%%", StringComparison.Ordinal);
        if (escaped.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '=' or ':' or '%'))
        {
            return escaped;
        }

        return new StringBuilder("'").Append(escaped.Replace("'", "'\\''", StringComparison.Ordinal)).Append('\'').ToString();
    }
}
