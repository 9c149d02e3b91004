using System.Globalization;

namespace Backstop.Core.Snapshots.Rules;

/// <summary>A column's type as format_type prints it, with its family and length limit.</summary>
/// <param name="MaxLength">The n of <c>character varying(n)</c> or <c>character(n)</c>; null when unbounded.</param>
public sealed record ColumnType(string Name, ColumnFamily Family, int? MaxLength)
{
    public static ColumnType Parse(string typeName)
    {
        var (baseName, modifier) = Split(typeName);
        var family = baseName switch
        {
            "text" or "character varying" or "character" or "citext" or "name" => ColumnFamily.Text,
            "smallint" => ColumnFamily.Smallint,
            "integer" => ColumnFamily.Integer,
            "bigint" => ColumnFamily.Bigint,
            "numeric" => ColumnFamily.Numeric,
            "uuid" => ColumnFamily.Uuid,
            "date" => ColumnFamily.Date,
            "timestamp without time zone" or "timestamp with time zone" => ColumnFamily.Timestamp,
            "boolean" => ColumnFamily.Boolean,
            "inet" => ColumnFamily.Inet,
            "json" or "jsonb" => ColumnFamily.Json,
            "bytea" => ColumnFamily.Bytea,
            _ => ColumnFamily.Other,
        };
        int? length = family == ColumnFamily.Text && baseName.StartsWith("character", StringComparison.Ordinal)
            ? modifier is not null && int.TryParse(modifier, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : baseName == "character" ? 1 : null
            : null;
        return new ColumnType(typeName, family, length);
    }

    /// <summary>format_type puts the modifier after the base name (<c>character varying(20)</c>) except for the time types (<c>timestamp(3) with time zone</c>).</summary>
    private static (string BaseName, string? Modifier) Split(string typeName)
    {
        if (typeName.EndsWith("[]", StringComparison.Ordinal))
        {
            return (typeName, null);
        }

        var open = typeName.IndexOf('(', StringComparison.Ordinal);
        var close = typeName.IndexOf(')', StringComparison.Ordinal);
        return open < 0 || close < open
            ? (typeName, null)
            : ((typeName[..open] + typeName[(close + 1)..]).Trim(), typeName[(open + 1)..close]);
    }
}
