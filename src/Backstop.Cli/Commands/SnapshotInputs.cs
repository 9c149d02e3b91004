using Backstop.Core.Configuration;
using Backstop.Core.Snapshots;
using Backstop.Recovery.Snapshots;

namespace Backstop.Cli.Commands;

/// <summary>
/// What <c>backstop snapshot create</c> takes from the rules and masking: an environment's <c>snapshot:</c> settings
/// (checked strictly against the live catalog when the snapshot starts), the maskers, and the key.
/// </summary>
/// <param name="Settings">the environment's <c>snapshot:</c> section (to become <c>environment.Snapshot</c>, checked strictly).</param>
/// <param name="Maskers">the masker factory for the settings and the resolved key.</param>
internal sealed record SnapshotInputs(
    Func<EnvironmentConfig, SnapshotSettings> Settings,
    Func<SnapshotSettings, byte[], IMaskerFactory> Maskers)
{
    public static SnapshotInputs Default { get; } = new(
        environment => environment.Snapshot.Tables.Count > 0 ? environment.Snapshot
            : throw new UsageException($"environment '{environment.Name}' has no snapshot rules; `backstop snapshot rules -e {environment.Name} --write` writes a starting set to review"),
        (settings, key) => new Core.Snapshots.Masking.SnapshotMaskerFactory(key, settings.Locale));

    /// <summary>The key from <see cref="SnapshotSettings.KeyReference"/> (env:VARIABLE or file:PATH).</summary>
    public static byte[] Key(EnvironmentConfig environment, SnapshotSettings settings, Func<string, string?> variables) =>
        SnapshotKey.Resolve(settings, environment.Name, variables);
}
