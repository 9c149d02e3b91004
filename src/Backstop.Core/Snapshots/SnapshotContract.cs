namespace Backstop.Core.Snapshots;

// The shapes shared by the two halves of `backstop snapshot` (issue 18):
// the rules and masking (Snapshots/Rules, Snapshots/Masking) and the pipeline that reads,
// masks, writes and proves a snapshot (Snapshots/Pipeline). Change them in one place, here.

/// <summary>What a snapshot does with one column (docs/snapshots.md).</summary>
public enum MaskKind
{
    /// <summary>The value as production has it (keys, foreign keys, non-personal data).</summary>
    Keep,
    /// <summary>NULL; refused by the rules check on a NOT NULL column.</summary>
    Null,
    /// <summary>A generated value of a kind (<see cref="ColumnRule.Argument"/>: name, email, phone …), chosen by the keyed hash of the original.</summary>
    Fake,
    /// <summary>A keyed hash of the value, in the column's type.</summary>
    Hash,
    /// <summary>A constant (<see cref="ColumnRule.Argument"/>, as PostgreSQL text input for the column's type).</summary>
    Set,
    /// <summary>The column's own values, permuted across the rows kept.</summary>
    Shuffle,
    /// <summary>A SQL expression (<see cref="ColumnRule.Argument"/>) evaluated by production in the read.</summary>
    Sql,
}

/// <summary>One column's rule; <paramref name="RecordedType"/> is the type the rule was written for (format_type), null if not recorded.</summary>
public sealed record ColumnRule(string Column, MaskKind Kind, string? Argument = null, string? RecordedType = null)
{
    /// <summary>For <c>fake: date_shift</c>: how many days at most a value moves either way (<c>days:</c>, default 30).</summary>
    public int? ShiftDays { get; init; }
}

/// <summary>One table's rules: excluded, or subset by <paramref name="Where"/> (parents of kept rows are kept too), with a rule per column.</summary>
public sealed record TableRule(string Schema, string Table, bool Exclude, string? Where, IReadOnlyList<ColumnRule> Columns);

/// <summary>The <c>snapshot:</c> section of an environment.</summary>
/// <param name="KeyReference"><c>env:NAME</c> or <c>file:PATH</c>: the masking secret; never the secret itself.</param>
/// <param name="Locale">Bogus locale of fake values (default <c>en</c>).</param>
public sealed record SnapshotSettings(IReadOnlyList<TableRule> Tables, string? KeyReference, string Locale)
{
    public static SnapshotSettings Empty { get; } = new([], null, "en");
}

/// <summary>A column as the live catalog has it.</summary>
/// <param name="TypeName">format_type(atttypid, atttypmod), e.g. <c>character varying(200)</c>.</param>
/// <param name="Unique">Part of a single-column primary key or unique constraint/index.</param>
public sealed record SnapshotColumn(string Name, string TypeName, bool NotNull, bool Unique);

/// <summary>Masks the values of one column, as Npgsql reads them from binary COPY (the CLR type it maps the column's type to).</summary>
/// <remarks>Deterministic for a key: the same input gives the same output in every table and every run. Thread-safe.</remarks>
public interface IValueMasker
{
    object? Mask(object? value);
}

/// <summary>Makes the masker of a <see cref="MaskKind.Null"/>, <see cref="MaskKind.Fake"/>, <see cref="MaskKind.Hash"/> or <see cref="MaskKind.Set"/> rule.</summary>
/// <remarks><see cref="MaskKind.Keep"/>, <see cref="MaskKind.Sql"/> and <see cref="MaskKind.Shuffle"/> are the pipeline's.</remarks>
public interface IMaskerFactory
{
    IValueMasker Create(TableRule table, ColumnRule rule, SnapshotColumn column);
}
