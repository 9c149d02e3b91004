namespace Backstop.Recovery.Repair;

/// <summary>What a repair does to one row, with the values (COPY text, tab-separated) of the repaired columns on each side.</summary>
public sealed record RepairRow(string Key, string? Source, string? Target, string? After);

/// <summary>The options of a repair that decide what it may do.</summary>
public sealed record RepairOptions
{
    /// <summary>Re-insert rows that are in the source but missing from the target.</summary>
    public bool RestoreMissing { get; init; }

    /// <summary>Delete rows that are only in the target.</summary>
    public bool DeleteExtra { get; init; }

    /// <summary>Three-way: repair rows that changed again after the mistake too.</summary>
    public bool OverwriteConflicts { get; init; }

    /// <summary>A WHERE condition (SQL) that limits the rows compared, on every side.</summary>
    public string? Where { get; init; }
}

/// <summary>
/// A compared table and what repairing it takes. Two-way (source and target): every row whose repaired columns differ
/// is set back, missing rows come back with <c>--restore-missing</c>, rows only in the target go with
/// <c>--delete-extra</c>. Three-way (with a state just after the mistake): only rows the mistake changed (source ≠
/// after) are repaired; those that changed again since (target ≠ after) are conflicts, left alone unless
/// <c>--overwrite-conflicts</c>; rows that changed only later (source = after) are later writes and are kept.
/// </summary>
public sealed class RepairPlan
{
    public required RepairTable Table { get; init; }

    public required bool ThreeWay { get; init; }

    public List<RepairRow> Updates { get; } = [];

    /// <summary>Missing rows to insert: key text → the values of <see cref="RepairTable.Insertable"/> minus the key.</summary>
    public Dictionary<string, string> Inserts { get; } = new(StringComparer.Ordinal);

    public List<RepairRow> Deletes { get; } = [];

    public List<RepairRow> Conflicts { get; } = [];

    /// <summary>Rows that differ only because of writes after the mistake (three-way): kept.</summary>
    public long LaterWrites { get; set; }

    /// <summary>Rows missing from the target that are not re-inserted (no <c>--restore-missing</c>, or deleted later).</summary>
    public long MissingLeft { get; set; }

    /// <summary>Rows only in the target that are not deleted (no <c>--delete-extra</c>, or inserted later).</summary>
    public long ExtraLeft { get; set; }

    public long SourceRows { get; set; }

    public long TargetRows { get; set; }

    public int Buckets { get; set; }

    public int DifferingBuckets { get; set; }

    /// <summary>Three-way: the source and the after state are equal where the target differs, so the "after" state may not hold the mistake.</summary>
    public bool AfterShowsNoMistake { get; set; }

    public bool IsEmpty => Updates.Count == 0 && Inserts.Count == 0 && Deletes.Count == 0;
}
