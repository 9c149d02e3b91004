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
