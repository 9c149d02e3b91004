using System.Globalization;
using System.Net;
using System.Text.Json;
using Backstop.Core.Snapshots.Rules;

namespace Backstop.Core.Snapshots.Masking;

/// <summary>Turns a <c>set:</c> constant, written as PostgreSQL's text input for the column's type, into the CLR value Npgsql reads and writes for that type.</summary>
public static class ColumnValues
{
    /// <returns>the value, or null with <paramref name="error"/> saying why the text does not fit the type.</returns>
    public static object? TryParse(string text, ColumnType type, out string? error)
    {
        error = null;
        var invariant = CultureInfo.InvariantCulture;
        object? value = type.Family switch
        {
            ColumnFamily.Text => type.MaxLength is { } limit && text.Length > limit ? null : text,
            ColumnFamily.Smallint => short.TryParse(text, NumberStyles.Integer, invariant, out var s) ? s : null,
            ColumnFamily.Integer => int.TryParse(text, NumberStyles.Integer, invariant, out var i) ? i : null,
            ColumnFamily.Bigint => long.TryParse(text, NumberStyles.Integer, invariant, out var l) ? l : null,
            ColumnFamily.Numeric => decimal.TryParse(text, NumberStyles.Number, invariant, out var d) ? d : null,
            ColumnFamily.Uuid => Guid.TryParse(text, out var g) ? g : null,
            ColumnFamily.Date => DateOnly.TryParseExact(text, "yyyy-MM-dd", invariant, DateTimeStyles.None, out var date) ? date : null,
            ColumnFamily.Timestamp => Timestamp(text, type),
            ColumnFamily.Boolean => text.ToLowerInvariant() switch { "true" or "t" or "yes" or "on" or "1" => true, "false" or "f" or "no" or "off" or "0" => false, _ => null },
            ColumnFamily.Inet => IPAddress.TryParse(text, out var address) ? address : null,
            ColumnFamily.Json => IsJson(text) ? text : null,
            ColumnFamily.Bytea => Bytea(text),
            _ => null,
        };
        if (value is null)
        {
            error = type.Family == ColumnFamily.Other
                ? $"set: cannot write a constant into {type.Name}; use sql: with a cast instead, e.g. {{ sql: \"'…'::{type.Name}\" }}"
                : type is { Family: ColumnFamily.Text, MaxLength: { } max }
                    ? $"'{text}' is longer than {type.Name} allows ({max} characters)"
                    : $"'{text}' is not a {type.Name} value";
        }

        return value;
    }

    private static object? Timestamp(string text, ColumnType type)
    {
        var zoned = type.Name.Contains("with time zone", StringComparison.Ordinal);
        if (zoned)
        {
            return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var offset) ? offset.UtcDateTime : null;
        }

        return DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local) ? DateTime.SpecifyKind(local, DateTimeKind.Unspecified) : null;
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>PostgreSQL's hex format, <c>\x0123ab</c> (docs: "Binary Data Types").</summary>
    private static byte[]? Bytea(string text)
    {
        if (!text.StartsWith("\\x", StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            return Convert.FromHexString(text.AsSpan(2));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
