using Backstop.Recovery.Catalog;

namespace Backstop.Recovery.Backups;

/// <summary>A backup taken, and the older ones retention removed after it.</summary>
/// <param name="Duration">the backup itself, from its start to its manifest (not the connecting before it).</param>
public sealed record BackupRunResult(BackupEntry Entry, BackupManifest Manifest, IReadOnlyList<BackupEntry> Expired, TimeSpan Duration);
