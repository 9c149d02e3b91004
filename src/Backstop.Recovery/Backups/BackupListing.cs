using Backstop.Recovery.Catalog;

namespace Backstop.Recovery.Backups;

/// <summary>One line of <c>backstop backup list</c>: a backup and its latest drill, if it was ever drilled.</summary>
public sealed record BackupListing(BackupEntry Backup, DrillEntry? LastDrill);
