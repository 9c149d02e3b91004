using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;
using Backstop.Sql.Lexing;
using Backstop.Sql.Splitting;

namespace Backstop.Proxy.Guarding;

/// <summary>
/// Writes a bound statement of the extended protocol as one SQL text, its parameters as literals, for the statement
/// guard (which takes text) and for the approval a statement is bound to: <c>DELETE FROM users WHERE id = $1</c> with
/// 42 becomes <c>DELETE FROM users WHERE id = '42'::int4</c>. Text-format values are quoted as they are; binary-format
/// values are read for the built-in types clients send in binary (booleans, integers, floats, numeric, text, bytea,
/// uuid, date, timestamps, json); any other binary value is refused with a message that says how to send it.
/// </summary>
public static class ParameterInliner
{
    /// <exception cref="InlineException">a parameter cannot be written as a literal, or the counts do not match.</exception>
    public static string Inline(string sql, IReadOnlyList<int> parameterTypes, IReadOnlyList<short> formats, IReadOnlyList<byte[]?> values)
    {
        if (values.Count == 0)
        {
            return sql;
        }

        var script = SqlSplitter.Split(sql);
        var parameters = script.Statements.SelectMany(s => s.Tokens).Where(t => t.Kind == TokenKind.Parameter).OrderBy(t => t.Start).ToList();
        var text = new StringBuilder(sql.Length + 16 * values.Count);
        var at = 0;
        foreach (var token in parameters)
        {
            var number = int.Parse(sql.AsSpan(token.Start + 1, token.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture);
            if (number < 1 || number > values.Count)
            {
                throw new InlineException($"the statement uses ${number} and {values.Count} parameter(s) were bound");
            }

            text.Append(sql, at, token.Start - at);
            var type = number <= parameterTypes.Count ? parameterTypes[number - 1] : 0;
            var format = formats.Count switch { 0 => (short)0, 1 => formats[0], _ => formats[number - 1] };
            text.Append(Literal(values[number - 1], type, format, number));
            at = token.End;
        }

        text.Append(sql, at, sql.Length - at);
        return text.ToString();
    }

    private static string Literal(byte[]? value, int type, short format, int number)
    {
        if (value is null)
        {
            return TypeName(type) is { } nullType ? $"NULL::{nullType}" : "NULL";
        }

        var text = format == 0 ? Encoding.UTF8.GetString(value) : FromBinary(value, type, number);
        var quoted = Quote(text);
        return TypeName(type) is { } name ? $"{quoted}::{name}" : quoted;
    }

    /// <summary>An escape string constant, whatever standard_conforming_strings says (docs: 4.1.2.2).</summary>
    private static string Quote(string text) =>
        text.Contains('\\', StringComparison.Ordinal) ? "E'" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'"
            : "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string? TypeName(int oid) => oid switch
    {
        16 => "pg_catalog.bool",
        17 => "pg_catalog.bytea",
        18 => "pg_catalog.char",
        19 => "pg_catalog.name",
        20 => "pg_catalog.int8",
        21 => "pg_catalog.int2",
        23 => "pg_catalog.int4",
        25 => "pg_catalog.text",
        26 => "pg_catalog.oid",
        114 => "pg_catalog.json",
        700 => "pg_catalog.float4",
        701 => "pg_catalog.float8",
        1042 => "pg_catalog.bpchar",
        1043 => "pg_catalog.varchar",
        1082 => "pg_catalog.date",
        1083 => "pg_catalog.time",
        1114 => "pg_catalog.timestamp",
        1184 => "pg_catalog.timestamptz",
        1700 => "pg_catalog.numeric",
        2950 => "pg_catalog.uuid",
        3802 => "pg_catalog.jsonb",
        _ => null,
    };

    private static readonly DateTime PostgresEpoch = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static string FromBinary(byte[] value, int type, int number)
    {
        string Need(int length, Func<string> read) => value.Length == length ? read() : throw Bad(number, type, $"{value.Length} bytes");
        var invariant = CultureInfo.InvariantCulture;
        return type switch
        {
            16 => Need(1, () => value[0] != 0 ? "true" : "false"),
            20 => Need(8, () => BinaryPrimitives.ReadInt64BigEndian(value).ToString(invariant)),
            21 => Need(2, () => BinaryPrimitives.ReadInt16BigEndian(value).ToString(invariant)),
            23 => Need(4, () => BinaryPrimitives.ReadInt32BigEndian(value).ToString(invariant)),
            26 => Need(4, () => BinaryPrimitives.ReadUInt32BigEndian(value).ToString(invariant)),
            700 => Need(4, () => Float(BinaryPrimitives.ReadSingleBigEndian(value))),
            701 => Need(8, () => Float(BinaryPrimitives.ReadDoubleBigEndian(value))),
            18 or 19 or 25 or 114 or 1042 or 1043 => Encoding.UTF8.GetString(value),
            3802 => value.Length >= 1 && value[0] == 1 ? Encoding.UTF8.GetString(value, 1, value.Length - 1) : throw Bad(number, type, "an unknown jsonb version"),
            17 => "\\x" + Convert.ToHexStringLower(value),
            2950 => Need(16, () => new Guid(value, bigEndian: true).ToString()),
            1082 => Need(4, () => Date(BinaryPrimitives.ReadInt32BigEndian(value))),
            1083 => Need(8, () => TimeSpan.FromTicks(BinaryPrimitives.ReadInt64BigEndian(value) * 10).ToString("c", invariant)),
            1114 => Need(8, () => Timestamp(BinaryPrimitives.ReadInt64BigEndian(value), "")),
            1184 => Need(8, () => Timestamp(BinaryPrimitives.ReadInt64BigEndian(value), "+00")),
            1700 => Numeric(value, number),
            _ => throw new InlineException(
                $"parameter ${number} is sent in binary as a type (OID {type}) the proxy cannot read; send it in text format (for JDBC, the default; for Npgsql, a string parameter with NpgsqlDbType.Unknown) or inline the value"),
        };
    }

    private static string Float(double value) => double.IsPositiveInfinity(value) ? "Infinity"
        : double.IsNegativeInfinity(value) ? "-Infinity"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string Date(int days) => days switch
    {
        int.MaxValue => "infinity",
        int.MinValue => "-infinity",
        _ => PostgresEpoch.AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    };

    private static string Timestamp(long microseconds, string zone) => microseconds switch
    {
        long.MaxValue => "infinity",
        long.MinValue => "-infinity",
        _ => PostgresEpoch.AddTicks(microseconds * 10).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + zone,
    };

    /// <summary>NUMERIC's binary form: ndigits, weight, sign, dscale, then base-10,000 digits (src/backend/utils/adt/numeric.c, numeric_send).</summary>
    private static string Numeric(byte[] value, int number)
    {
        if (value.Length < 8)
        {
            throw Bad(number, 1700, $"{value.Length} bytes");
        }

        var digits = BinaryPrimitives.ReadInt16BigEndian(value);
        var weight = BinaryPrimitives.ReadInt16BigEndian(value.AsSpan(2));
        var sign = BinaryPrimitives.ReadUInt16BigEndian(value.AsSpan(4));
        var scale = BinaryPrimitives.ReadInt16BigEndian(value.AsSpan(6));
        if (digits < 0 || value.Length != 8 + 2 * digits || scale < 0)
        {
            throw Bad(number, 1700, "a malformed value");
        }

        switch (sign)
        {
            case 0xC000: return "NaN";
            case 0xD000: return "Infinity";
            case 0xF000: return "-Infinity";
            case 0x0000 or 0x4000: break;
            default: throw Bad(number, 1700, "a malformed sign");
        }

        var unscaled = BigInteger.Zero;
        for (var i = 0; i < digits; i++)
        {
            unscaled = unscaled * 10_000 + BinaryPrimitives.ReadInt16BigEndian(value.AsSpan(8 + 2 * i));
        }

        // The digits hold value * 10000^(digits - 1 - weight); as a decimal string with 'scale' places.
        var exponent = 4 * (digits - 1 - weight);
        var text = unscaled.ToString(CultureInfo.InvariantCulture);
        if (exponent < 0)
        {
            text += new string('0', -exponent);
            exponent = 0;
        }

        text = text.PadLeft(exponent + 1, '0');
        var integer = text[..^exponent];
        var fraction = exponent > 0 ? text[^exponent..] : "";
        fraction = fraction.Length > scale ? fraction[..scale] : fraction.PadRight(scale, '0');
        integer = integer.TrimStart('0');
        var result = (integer.Length == 0 ? "0" : integer) + (scale > 0 ? "." + fraction : "");
        return sign == 0x4000 ? "-" + result : result;
    }

    private static InlineException Bad(int number, int type, string what) =>
        new($"parameter ${number} (type OID {type}) arrived in binary as {what}, which is not a value of that type");
}

/// <summary>A bound parameter that cannot become a literal; nothing was run.</summary>
public sealed class InlineException(string message) : Exception(message);
