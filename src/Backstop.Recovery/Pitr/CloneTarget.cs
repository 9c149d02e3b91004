using NpgsqlTypes;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// Where a clone's recovery stops: at a time (just before the first commit after it) or at a WAL location, just
/// before or just after the record there (docs: "Server Configuration → Recovery Target": <c>recovery_target_time</c>,
/// <c>recovery_target_lsn</c>, <c>recovery_target_inclusive</c>). A time target is checked only at commit records;
/// a location is checked at every record, so it can stop inside a transaction or a <c>DROP DATABASE</c>.
/// </summary>
internal sealed record CloneTarget
{
    public DateTimeOffset? Time { get; init; }

    public NpgsqlLogSequenceNumber? Lsn { get; init; }

    /// <summary>For a location: replay the record at it too (PostgreSQL's default) or stop just before it.</summary>
    public bool Inclusive { get; init; } = true;

    public static CloneTarget AtTime(DateTimeOffset time) => new() { Time = time };

    public static CloneTarget AtLsn(NpgsqlLogSequenceNumber lsn, bool inclusive) => new() { Lsn = lsn, Inclusive = inclusive };

    /// <summary>For messages: the time in ISO 8601, or "WAL location 0/1A2B3C4 (exclusive)".</summary>
    public string Display => Lsn is { } lsn
        ? $"WAL location {lsn}{(Inclusive ? "" : " (exclusive)")}"
        : RecoveryTarget.Display(Time!.Value);

    /// <summary>The options of <c>pgbackrest restore</c> that write the target into the clone's configuration.</summary>
    public IReadOnlyList<string> RestoreOptions => Lsn is { } lsn
        ? ["--type=lsn", $"--target={lsn}", .. Inclusive ? Array.Empty<string>() : ["--target-exclusive"]]
        : ["--type=time", $"--target={RecoveryTarget.Format(Time!.Value)}"];

    /// <summary>
    /// Settings written after pgBackRest's, so that the clone's configuration says what Backstop asked for even if a
    /// pgBackRest version writes the target differently. A time target keeps pgBackRest's own lines.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings => Lsn is { } lsn
        ? new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["recovery_target_lsn"] = lsn.ToString(),
            ["recovery_target_inclusive"] = Inclusive ? "on" : "off",
        }
        : new Dictionary<string, string>(StringComparer.Ordinal);
}
