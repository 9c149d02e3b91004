using Backstop.Core.Configuration;

namespace Backstop.Recovery.Repair;

/// <summary>
/// What <c>backstop repair</c> was asked for, as given: the sources are still text (<see cref="RepairSourceSpec"/> reads
/// them), so that the service checks them in one place and in the order a user meets the mistakes.
/// </summary>
public sealed record RepairRequest
{
    public required BackstopConfig Config { get; init; }

    /// <summary>The environment whose table is repaired (the target).</summary>
    public required EnvironmentConfig Environment { get; init; }

    /// <summary>The table, <c>name</c> or <c>schema.name</c>; null with <see cref="Root"/>.</summary>
    public string? Table { get; init; }

    /// <summary>
    /// The table whose rows (<see cref="RepairOptions.Where"/>) the mistake took: it and every table they reach through
    /// foreign keys that cascade, set null or set default are repaired together (<see cref="RepairGraph"/>).
    /// </summary>
    public string? Root { get; init; }

    /// <summary>Where the right values are (<c>--from</c>); null only with <see cref="IncidentAt"/>.</summary>
    public string? From { get; init; }

    /// <summary>Three-way: a state just after the mistake (<c>--after</c>).</summary>
    public string? After { get; init; }

    /// <summary>
    /// The mistake's time, roughly: both sources become point-in-time clones. Without <see cref="IncidentWindow"/> the
    /// mistake is found in the WAL (<see cref="RepairIncident"/>) and the clones are just before and just after its
    /// commit; with it, of then and of then plus the window.
    /// </summary>
    public string? IncidentAt { get; init; }

    /// <summary>With <see cref="IncidentAt"/>: how long after it the mistake had committed, as a duration (<c>10s</c>).</summary>
    public string? IncidentWindow { get; init; }

    /// <summary>Only these columns (default: every column but the key and generated ones).</summary>
    public IReadOnlyList<string>? Columns { get; init; }

    /// <summary>The columns that identify a row (default: the primary key).</summary>
    public IReadOnlyList<string>? Key { get; init; }

    public RepairOptions Options { get; init; } = new();

    /// <summary>At most this many rows of each kind per guarded change; 0: one change.</summary>
    public int BatchRows { get; init; }

    /// <summary>Leave the clones and sandboxes made for the repair running.</summary>
    public bool KeepSources { get; init; }
}
