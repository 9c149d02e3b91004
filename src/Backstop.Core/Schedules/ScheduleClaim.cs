namespace Backstop.Core.Schedules;

/// <summary>What <see cref="ScheduleRunStore.ClaimAsync"/> decided for a slot.</summary>
public enum ScheduleClaim
{
    /// <summary>This process runs it: its run is recorded as running and the lease is held.</summary>
    Claimed,

    /// <summary>Another process claimed it (or a later slot) first.</summary>
    Taken,

    /// <summary>The schedule's previous run still holds the lease: the slot is recorded as skipped.</summary>
    Skipped,
}
