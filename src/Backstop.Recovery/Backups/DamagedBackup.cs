using Backstop.Recovery.Catalog;
using Backstop.Recovery.Drills;

namespace Backstop.Recovery.Backups;

/// <summary>
/// A backup whose latest drill passed but whose files no longer match its manifest (a file changed, cut short or removed
/// since): <c>backup status</c> does not count it as proven.
/// </summary>
/// <param name="Failures">what the manifest check found, file by file (check <c>manifest</c>).</param>
public sealed record DamagedBackup(BackupEntry Backup, DrillEntry PassedDrill, IReadOnlyList<DrillFailure> Failures);
