using Backstop.Recovery.Catalog;

namespace Backstop.Recovery.Backups;

/// <summary>The backup a drill restored, what the drill found, and seconds per step of it.</summary>
public sealed record BackupVerifyResult(BackupEntry Backup, DrillResult Drill, IReadOnlyDictionary<string, double> Durations);
