using Backstop.Core.Configuration;
using Backstop.Postgres.Tools;

namespace Backstop.Recovery.Pitr;

/// <summary>An environment whose point-in-time recovery is set up: its layout and pgBackRest, run as the cluster's owner.</summary>
public sealed class PitrStanza
{
    private PitrStanza(EnvironmentConfig environment, PitrLayout layout, PgBackRest backRest)
    {
        Environment = environment;
        Layout = layout;
        BackRest = backRest;
    }

    public EnvironmentConfig Environment { get; }

    public PitrLayout Layout { get; }

    public PgBackRest BackRest { get; }

    /// <exception cref="ConfigException">the environment has no <c>pitr:</c> section, or its configuration file is gone.</exception>
    public static async Task<PitrStanza> OpenAsync(BackstopConfig config, EnvironmentConfig environment, CancellationToken cancellationToken)
    {
        var layout = PitrLayout.Of(config, environment);
        if (!File.Exists(layout.ConfigFile))
        {
            throw new ConfigException($"the pgBackRest configuration of environment '{environment.Name}' ({layout.ConfigFile}) is missing; write it again with `backstop pitr enable -e {environment.Name} --pgdata {layout.DataDirectory}`");
        }

        // pgBackRest runs as the user that owns the repository, which is the cluster's owner since `pitr enable`;
        // the repository is read even when the cluster itself is down or gone.
        var owner = await ClusterOwner.OfAsync(Directory.Exists(layout.DataDirectory) ? layout.DataDirectory : layout.Repository, cancellationToken);
        return new PitrStanza(environment, layout, new PgBackRest(layout.ConfigFile, layout.Stanza, owner));
    }

    public async Task<StanzaInfo> InfoAsync(CancellationToken cancellationToken)
    {
        var result = await BackRest.RunAsync("info", ["--output=json"], cancellationToken);
        if (!result.Succeeded)
        {
            throw new PitrException($"pgbackrest info failed for environment '{Environment.Name}': {result.ErrorSummary()}");
        }

        return StanzaInfo.Parse(result.Output, Layout.Stanza);
    }
}
