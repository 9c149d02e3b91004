namespace Backstop.Core.Policies;

/// <summary>
/// The rules of one tier. Every rule that matches a statement contributes its verdict; the strictest wins.
/// Defaults follow the table in docs/policies.md.
/// </summary>
public sealed record TierPolicy
{
    /// <summary>UPDATE or DELETE with no WHERE, or a trivially true one.</summary>
    public Verdict AllRows { get; init; }

    /// <summary>What <c>--allow-all-rows</c> turns <see cref="AllRows"/> into when it is deny.</summary>
    public Verdict AllRowsAcknowledged { get; init; }

    public Verdict DropDatabase { get; init; }

    /// <summary>
    /// Where DROP DATABASE is not denied: it is denied unless a backup of that database was taken within this time and
    /// proven by a passed restore drill (null: no such requirement).
    /// </summary>
    public TimeSpan? DropDatabaseBackupWithin { get; init; }

    /// <summary>DROP TABLE / SCHEMA, TRUNCATE, ALTER TABLE … DROP COLUMN.</summary>
    public Verdict DestructiveDdl { get; init; }

    /// <summary>More than <see cref="TotalRowsOver"/> rows changed in all, cascades included.</summary>
    public Verdict TotalRows { get; init; }

    public long TotalRowsOver { get; init; } = 1000;

    /// <summary>A statement changes at least <see cref="TableFractionAtLeast"/> of a table that holds more than <see cref="TableFractionMinRows"/> rows.</summary>
    public Verdict TableFraction { get; init; }

    public double TableFractionAtLeast { get; init; } = 0.5;

    public long TableFractionMinRows { get; init; } = 100;

    /// <summary>A DELETE that cascades into other tables.</summary>
    public Verdict Cascade { get; init; }

    /// <summary>A DELETE that cascades more than <see cref="CascadeLargeOver"/> rows into other tables.</summary>
    public Verdict CascadeLarge { get; init; }

    public long CascadeLargeOver { get; init; } = 100;

    /// <summary>Any write inside <see cref="FreezeWindow"/>.</summary>
    public Verdict Freeze { get; init; }

    /// <summary>Null: no freeze window.</summary>
    public FreezeWindow? FreezeWindow { get; init; } = Policies.FreezeWindow.Default;

    public Verdict Unclassified { get; init; }

    /// <summary>A write to a table without a primary key: undo can only match its rows by all their columns.</summary>
    public Verdict NoPrimaryKey { get; init; }

    /// <summary>A statement destroys something Backstop cannot keep for undo (large objects).</summary>
    public Verdict Unkeepable { get; init; }

    /// <summary>A statement holds a lock that stops writes (or reads) on a table above <see cref="LockingDdlRowsOver"/> rows while it works.</summary>
    public Verdict LockingDdl { get; init; }

    public long LockingDdlRowsOver { get; init; } = 100_000;

    /// <summary>GRANT … TO PUBLIC, ALTER ROLE … SUPERUSER / BYPASSRLS, ALTER SYSTEM.</summary>
    public Verdict Privileges { get; init; }

    /// <summary>Any write that no other rule is stricter about.</summary>
    public Verdict Write { get; init; }

    public Verdict Read { get; init; }

    /// <summary>
    /// A change that puts back a state Backstop can prove (a repair from a point-in-time clone of the environment or from
    /// a backup whose latest restore drill passed, a restore of such a backup): judged by this rule instead of the rules
    /// meant for mistakes (row counts, table shares, cascades, the freeze window), which would otherwise hold up the
    /// recovery of the very mistake they are about.
    /// </summary>
    public Verdict Recovery { get; init; }

    /// <summary>Team mode: how many people other than the requester must approve a change whose verdict is approve.</summary>
    public int Approvals { get; init; } = 1;

    /// <summary>Team mode: whether <c>run --emergency --reason</c> may run a change without its approval, leaving it open for review.</summary>
    public bool BreakGlass { get; init; } = true;

    /// <summary>
    /// Team mode: a write whose exact script (same SHA-256) has not committed on an environment of a lower tier within
    /// <see cref="StagedWindow"/> ("who runs something on a prod DB without running it on QA first?").
    /// </summary>
    public Verdict StagedFirst { get; init; }

    public TimeSpan StagedWindow { get; init; } = TimeSpan.FromDays(7);

    public static TierPolicy Production { get; } = new()
    {
        AllRows = Verdict.Deny,
        AllRowsAcknowledged = Verdict.Approve,
        DropDatabase = Verdict.Deny,
        DropDatabaseBackupWithin = TimeSpan.FromMinutes(60),
        DestructiveDdl = Verdict.Approve,
        TotalRows = Verdict.Approve,
        TableFraction = Verdict.Approve,
        Cascade = Verdict.Confirm,
        CascadeLarge = Verdict.Approve,
        Freeze = Verdict.Approve,
        Unclassified = Verdict.Approve,
        NoPrimaryKey = Verdict.Approve,
        Unkeepable = Verdict.Deny,
        LockingDdl = Verdict.Approve,
        Privileges = Verdict.Approve,
        Write = Verdict.Confirm,
        Read = Verdict.Allow,
        Recovery = Verdict.Confirm,
        BreakGlass = false,
        StagedFirst = Verdict.Approve,
    };

    public static TierPolicy Staging { get; } = new()
    {
        AllRows = Verdict.Confirm,
        AllRowsAcknowledged = Verdict.Confirm,
        DropDatabase = Verdict.Confirm,
        DropDatabaseBackupWithin = TimeSpan.FromMinutes(60),
        DestructiveDdl = Verdict.Confirm,
        TotalRows = Verdict.Confirm,
        TableFraction = Verdict.Confirm,
        Cascade = Verdict.Confirm,
        CascadeLarge = Verdict.Confirm,
        Freeze = Verdict.Allow,
        Unclassified = Verdict.Confirm,
        Unkeepable = Verdict.Deny,
        LockingDdl = Verdict.Confirm,
        Privileges = Verdict.Confirm,
        Write = Verdict.Allow,
        Read = Verdict.Allow,
        Recovery = Verdict.Confirm,
    };

    public static TierPolicy Development { get; } = new()
    {
        AllRows = Verdict.Allow,
        AllRowsAcknowledged = Verdict.Allow,
        DropDatabase = Verdict.Allow,
        DestructiveDdl = Verdict.Allow,
        TotalRows = Verdict.Allow,
        TableFraction = Verdict.Allow,
        Cascade = Verdict.Allow,
        CascadeLarge = Verdict.Allow,
        Freeze = Verdict.Allow,
        Unclassified = Verdict.Allow,
        Write = Verdict.Allow,
        Read = Verdict.Allow,
    };

    public static TierPolicy DefaultFor(Configuration.Tier tier) => tier switch
    {
        Configuration.Tier.Production => Production,
        Configuration.Tier.Staging => Staging,
        _ => Development,
    };
}
