using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Recovery.Backups;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// <c>backstop pitr backup | clone | verify</c> for any caller: each opens the environment's stanza (and the catalog
/// where the result is recorded) and hands over to the class that does the work. <c>pitr enable</c> is
/// <see cref="PitrEnabler"/>.
/// </summary>
public sealed class PitrService(BackstopConfig config, EnvironmentConnector connector)
{
    /// <summary>A pgBackRest backup of the whole cluster, recorded in the catalog.</summary>
    /// <param name="type"><c>full</c>, <c>diff</c> or <c>incr</c>; null: full for an empty repository, else incr.</param>
    public async Task<PitrBackupResult> BackupAsync(EnvironmentConfig environment, string? type, IProgress<string> progress, CancellationToken cancellationToken)
    {
        var stanza = await PitrStanza.OpenAsync(config, environment, cancellationToken);
        await using var source = await connector.OpenAsync(environment, cancellationToken);
        var catalog = await BackupLocations.OpenCatalogAsync(config, connector, cancellationToken);
        var entry = await PitrBackupRunner.RunAsync(stanza, source, catalog, type, progress, cancellationToken);
        var finished = entry.FinishedAt ?? entry.StartedAt;

        // pgBackRest records the stop time to the whole second: recovery can stop only after it.
        return new PitrBackupResult(entry, PitrBackupLabel.TypeOf(entry.Id), finished - entry.StartedAt, finished.AddSeconds(1));
    }

    /// <summary>A new cluster holding the environment as it was at the options' time.</summary>
    public async Task<CloneResult> CloneAsync(EnvironmentConfig environment, CloneOptions options, IProgress<string> progress, CancellationToken cancellationToken)
    {
        var stanza = await PitrStanza.OpenAsync(config, environment, cancellationToken);
        return await PitrCloner.CloneAsync(stanza, connector, options, progress, cancellationToken);
    }

    /// <summary>The PITR drill: a clone checked like a restored backup, recorded in the catalog.</summary>
    public async Task<VerifyResult> VerifyAsync(EnvironmentConfig environment, VerifyOptions options, IProgress<string> progress, CancellationToken cancellationToken)
    {
        var stanza = await PitrStanza.OpenAsync(config, environment, cancellationToken);
        var catalog = await BackupLocations.OpenCatalogAsync(config, connector, cancellationToken);
        return await PitrVerifier.VerifyAsync(stanza, connector, catalog, options, progress, cancellationToken);
    }
}
