namespace Backstop.Postgres.Sandbox;

/// <summary>
/// Finds the installed PostgreSQL server binaries: <c>BACKSTOP_PG_BIN</c>, else the newest
/// <c>/usr/lib/postgresql/N/bin</c> (Debian's layout), else <c>PATH</c>.
/// </summary>
public sealed class PgBinaries
{
    private PgBinaries(string directory) => Directory = directory;

    public string Directory { get; }

    public string Path(string tool) => System.IO.Path.Combine(Directory, tool);

    /// <summary>
    /// The binaries of one major version (<c>/usr/lib/postgresql/N/bin</c>, Debian's layout), for programs that must
    /// match a cluster's version such as pg_controldata and pg_ctl; the newest installed ones otherwise.
    /// </summary>
    public static PgBinaries ForMajorVersion(string majorVersion)
    {
        var debian = System.IO.Path.Combine("/usr/lib/postgresql", majorVersion, "bin");
        return Environment.GetEnvironmentVariable("BACKSTOP_PG_BIN") is not { Length: > 0 } && File.Exists(System.IO.Path.Combine(debian, "pg_ctl"))
            ? new PgBinaries(debian)
            : Find();
    }

    public static PgBinaries Find()
    {
        var configured = Environment.GetEnvironmentVariable("BACKSTOP_PG_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(System.IO.Path.Combine(configured, "initdb"))
                ? new PgBinaries(configured)
                : throw new SandboxException($"BACKSTOP_PG_BIN is '{configured}', but there is no initdb in it; point it at PostgreSQL's bin directory");
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (System.IO.Directory.Exists(debianRoot))
        {
            var newest = System.IO.Directory.GetDirectories(debianRoot)
                .Select(d => (Dir: System.IO.Path.Combine(d, "bin"), Version: int.TryParse(System.IO.Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => File.Exists(System.IO.Path.Combine(d.Dir, "initdb")))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Dir is not null)
            {
                return new PgBinaries(newest.Dir);
            }
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(System.IO.Path.Combine(dir, "initdb")) && File.Exists(System.IO.Path.Combine(dir, "pg_ctl")))
            {
                return new PgBinaries(dir);
            }
        }

        throw new SandboxException("PostgreSQL's server programs (initdb, pg_ctl) were not found; install them with `apt-get install postgresql-15`, or set BACKSTOP_PG_BIN to their directory");
    }
}
