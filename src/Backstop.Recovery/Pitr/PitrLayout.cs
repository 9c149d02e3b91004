using Backstop.Core.Configuration;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// Where point-in-time recovery of one environment keeps its files: a directory <c>.backstop/pitr/&lt;env&gt;/</c>
/// beside backstop.yaml holding the pgBackRest configuration, its log and lock directories and, unless the
/// environment names another one, the repository (<c>repo/</c>).
/// </summary>
public sealed record PitrLayout
{
    public required string Environment { get; init; }

    /// <summary>The cluster's data directory (<c>pg1-path</c>).</summary>
    public required string DataDirectory { get; init; }

    public required string Stanza { get; init; }

    /// <summary><c>.backstop/pitr/&lt;env&gt;</c>.</summary>
    public required string Directory { get; init; }

    /// <summary>The pgBackRest repository (<c>repo1-path</c>).</summary>
    public required string Repository { get; init; }

    public string ConfigFile => Path.Combine(Directory, "pgbackrest.conf");

    public string LogDirectory => Path.Combine(Directory, "log");

    public string LockDirectory => Path.Combine(Directory, "lock");

    /// <summary>The layout for a recorded <c>pitr:</c> section.</summary>
    /// <exception cref="ConfigException">the environment has no <c>pitr:</c> section.</exception>
    public static PitrLayout Of(BackstopConfig config, EnvironmentConfig environment)
    {
        var settings = environment.Pitr
            ?? throw new ConfigException($"environment '{environment.Name}' has no point-in-time recovery set up (no 'pitr:' section in {config.Path}); set it up with `backstop pitr enable -e {environment.Name} --pgdata PATH`");
        return Create(config, environment.Name, settings.DataDirectory, settings.Repository, settings.Stanza);
    }

    /// <summary>The layout for <c>pitr enable</c>: relative paths are taken from the directory of backstop.yaml.</summary>
    public static PitrLayout Create(BackstopConfig config, string environment, string dataDirectory, string? repository, string? stanza)
    {
        var baseDirectory = System.IO.Path.GetDirectoryName(config.Path)!;
        var directory = Path.Combine(config.StateDirectory, "pitr", environment);
        return new PitrLayout
        {
            Environment = environment,
            DataDirectory = Path.GetFullPath(dataDirectory, baseDirectory),
            Stanza = stanza ?? environment,
            Directory = directory,
            Repository = repository is null ? Path.Combine(directory, "repo") : Path.GetFullPath(repository, baseDirectory),
        };
    }
}
