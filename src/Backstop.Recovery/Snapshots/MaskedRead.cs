using NpgsqlTypes;

namespace Backstop.Recovery.Snapshots;

/// <summary>
/// How a column masked in .NET is read from binary COPY: the type Npgsql maps it to, so that a masker gets an int for
/// an integer and a DateTime for a timestamp. Types without an entry are read as their text (<c>::text</c>).
/// </summary>
internal sealed record MaskedRead(NpgsqlDbType DbType, Func<Npgsql.NpgsqlBinaryExporter, object?> Read, bool AsText)
{
    public static MaskedRead For(string typeName) => typeName switch
    {
        "smallint" => new(NpgsqlDbType.Smallint, e => e.Read<short>(NpgsqlDbType.Smallint), false),
        "integer" => new(NpgsqlDbType.Integer, e => e.Read<int>(NpgsqlDbType.Integer), false),
        "bigint" => new(NpgsqlDbType.Bigint, e => e.Read<long>(NpgsqlDbType.Bigint), false),
        "real" => new(NpgsqlDbType.Real, e => e.Read<float>(NpgsqlDbType.Real), false),
        "double precision" => new(NpgsqlDbType.Double, e => e.Read<double>(NpgsqlDbType.Double), false),
        "boolean" => new(NpgsqlDbType.Boolean, e => e.Read<bool>(NpgsqlDbType.Boolean), false),
        "uuid" => new(NpgsqlDbType.Uuid, e => e.Read<Guid>(NpgsqlDbType.Uuid), false),
        "date" => new(NpgsqlDbType.Date, e => e.Read<DateTime>(NpgsqlDbType.Date), false),
        "bytea" => new(NpgsqlDbType.Bytea, e => e.Read<byte[]>(NpgsqlDbType.Bytea), false),
        "timestamp with time zone" => new(NpgsqlDbType.TimestampTz, e => e.Read<DateTime>(NpgsqlDbType.TimestampTz), false),
        "timestamp without time zone" => new(NpgsqlDbType.Timestamp, e => e.Read<DateTime>(NpgsqlDbType.Timestamp), false),
        _ when typeName.StartsWith("numeric", StringComparison.Ordinal) => new(NpgsqlDbType.Numeric, e => e.Read<decimal>(NpgsqlDbType.Numeric), false),
        _ => new(NpgsqlDbType.Text, e => e.Read<string>(NpgsqlDbType.Text), true),
    };
}
