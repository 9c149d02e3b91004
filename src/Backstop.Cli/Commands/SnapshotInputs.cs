using Backstop.Core.Configuration;
using Backstop.Core.Snapshots;
using Backstop.Recovery.Snapshots;

namespace Backstop.Cli.Commands;

/// <summary>
/// What <c>backstop snapshot create</c> takes from the rules-and-masking half of issue 18: an environment's
/// <c>snapshot:</c> settings, the maskers, and the key. Until that half is connected the default refuses clearly;
/// tests supply their own.
/// </summary>
/// <param name="Settings">the environment's <c>snapshot:</c> section (to become <c>environment.Snapshot</c>, checked strictly).</param>
/// <param name="Maskers">the masker factory for the settings and the resolved key.</param>
internal sealed record SnapshotInputs(
    Func<EnvironmentConfig, SnapshotSettings> Settings,
    Func<SnapshotSettings, byte[], IMaskerFactory> Maskers)
{
    public static SnapshotInputs Default { get; } = new(
        environment => throw new UsageException($"environment '{environment.Name}' has no snapshot rules yet (the snapshot: section of backstop.yaml is not read by this build)"),
        (_, _) => throw new UsageException("no masker factory is connected in this build"));

    /// <summary>The key from <see cref="SnapshotSettings.KeyReference"/> (env:VARIABLE or file:PATH).</summary>
    public static byte[] Key(EnvironmentConfig environment, SnapshotSettings settings, Func<string, string?> variables) =>
        SnapshotKey.Resolve(settings, environment.Name, variables);
}
