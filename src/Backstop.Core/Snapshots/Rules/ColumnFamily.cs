namespace Backstop.Core.Snapshots.Rules;

/// <summary>The families of column types that masking treats alike.</summary>
public enum ColumnFamily
{
    /// <summary>A type masking does not generate values for: only keep, null, shuffle and sql apply.</summary>
    Other,
    Text,
    Smallint,
    Integer,
    Bigint,
    Numeric,
    Uuid,
    Date,
    Timestamp,
    Boolean,
    Inet,
    Json,
    Bytea,
}
