namespace Backstop.Recovery.Pitr;

/// <summary>
/// How to restart a cluster so that archive_mode takes effect: <c>pg_ctl restart</c> as its owner, which reuses the
/// options the server was started with (postmaster.opts). A cluster whose configuration lives outside its data
/// directory (Debian's <c>pg_ctlcluster</c> layout) is left to its service manager.
/// </summary>
internal sealed class ClusterRestart(ClusterDirectory cluster, PitrLayout layout)
{
    /// <summary>Backstop does not restart this cluster itself; <see cref="Command"/> says how.</summary>
    public bool IsManual => cluster.ConfigurationOutside;

    /// <summary>
    /// pg_ctl needs a log file for the restarted server: without one, the server would write into the pipe Backstop
    /// reads. A sandbox keeps its own; any other cluster gets one in the pitr directory.
    /// </summary>
    public string LogFile
    {
        get
        {
            var parent = Path.GetDirectoryName(cluster.Path.TrimEnd(Path.DirectorySeparatorChar));
            return parent is not null && File.Exists(Path.Combine(parent, "sandbox.json"))
                ? Path.Combine(parent, "server.log")
                : Path.Combine(layout.Directory, "postgresql.log");
        }
    }

    /// <summary>The exact command, for the terminal.</summary>
    public string Command
    {
        get
        {
            if (IsManual)
            {
                var name = Path.GetFileName(cluster.Path.TrimEnd(Path.DirectorySeparatorChar));
                return $"sudo pg_ctlcluster {cluster.MajorVersion} {name} restart   (or: sudo systemctl restart postgresql@{cluster.MajorVersion}-{name})";
            }

            var asOwner = cluster.Owner.SwitchesUser ? $"sudo -u {cluster.Owner.Name} " : "";
            return $"{asOwner}{string.Join(' ', Arguments.Prepend(cluster.Binaries.Path("pg_ctl")).Select(Shell))}";
        }
    }

    private IReadOnlyList<string> Arguments => ["restart", "-D", cluster.Path, "-m", "fast", "-w", "-t", "120", "-l", LogFile];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var result = await cluster.Owner.RunAsync(cluster.Binaries.Path("pg_ctl"), Arguments, cancellationToken);
        if (!result.Succeeded)
        {
            throw new PitrException($"restarting the cluster failed ({Command}): {result.Output.Trim()} {result.ErrorSummary()}; the server's log is {LogFile}");
        }
    }

    private static string Shell(string word) =>
        word.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '=' or ':')
            ? word
            : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
