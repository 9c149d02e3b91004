namespace Backstop.Core.Schedules;

/// <summary>What a schedule runs: each is the CLI command of the same name, run by the server (docs/schedules.md).</summary>
public enum ScheduleKind
{
    /// <summary><c>backup run</c>.</summary>
    Backup,

    /// <summary><c>backup verify --latest</c>: the restore drill of the newest complete backup.</summary>
    Drill,

    /// <summary><c>pitr backup</c>.</summary>
    PitrBackup,

    /// <summary><c>pitr verify</c>: the point-in-time drill.</summary>
    PitrDrill,

    /// <summary><c>purge</c>: before-images and recycle-bin tables older than the environment's retention.</summary>
    Purge,

    /// <summary><c>snapshot create</c>: an anonymized snapshot, proven by its drill and leak scan (docs/snapshots.md).</summary>
    Snapshot,
}
