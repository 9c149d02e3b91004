using System.Text;
using Backstop.Core.Snapshots;
using Backstop.Core.Snapshots.Masking;
using Backstop.Core.Snapshots.Rules;
using Backstop.Testing;
using Npgsql;
using NpgsqlTypes;

namespace Backstop.Cli.Tests.Snapshots;

/// <summary>
/// Masking as the pipeline does it: values read by binary COPY (the CLR types Npgsql gives), masked, and written back by
/// binary COPY into a table with the same constraints, which PostgreSQL then holds to: types, lengths, NOT NULL, UNIQUE.
/// </summary>
public sealed class MaskingRoundTripTests
{
    private const string Table = """
        CREATE TABLE people (
            k int PRIMARY KEY, t text NOT NULL, v varchar(14) NOT NULL UNIQUE, i2 smallint, i4 int UNIQUE CHECK (i4 > 0), i8 bigint, u uuid UNIQUE,
            d date, ts timestamp, tz timestamptz, ip inet, b bytea, n numeric(4,2), j jsonb, f boolean, e varchar(40) UNIQUE)
        """;

    private static readonly (string Column, string Type, NpgsqlDbType DbType, ColumnRule Rule)[] Columns =
    [
        ("k", "integer", NpgsqlDbType.Integer, new("k", MaskKind.Keep)),
        ("t", "text", NpgsqlDbType.Text, new("t", MaskKind.Fake, FakeKinds.Name)),
        ("v", "character varying(14)", NpgsqlDbType.Varchar, new("v", MaskKind.Hash)),
        ("i2", "smallint", NpgsqlDbType.Smallint, new("i2", MaskKind.Hash)),
        ("i4", "integer", NpgsqlDbType.Integer, new("i4", MaskKind.Hash)),
        ("i8", "bigint", NpgsqlDbType.Bigint, new("i8", MaskKind.Hash)),
        ("u", "uuid", NpgsqlDbType.Uuid, new("u", MaskKind.Hash)),
        ("d", "date", NpgsqlDbType.Date, new("d", MaskKind.Fake, FakeKinds.DateShift)),
        ("ts", "timestamp without time zone", NpgsqlDbType.Timestamp, new("ts", MaskKind.Fake, FakeKinds.DateShift)),
        ("tz", "timestamp with time zone", NpgsqlDbType.TimestampTz, new("tz", MaskKind.Fake, FakeKinds.DateShift)),
        ("ip", "inet", NpgsqlDbType.Inet, new("ip", MaskKind.Fake, FakeKinds.Ip)),
        ("b", "bytea", NpgsqlDbType.Bytea, new("b", MaskKind.Hash)),
        ("n", "numeric(4,2)", NpgsqlDbType.Numeric, new("n", MaskKind.Set, "1.50")),
        ("j", "jsonb", NpgsqlDbType.Jsonb, new("j", MaskKind.Set, "{\"masked\": true}")),
        ("f", "boolean", NpgsqlDbType.Boolean, new("f", MaskKind.Null)),
        ("e", "character varying(40)", NpgsqlDbType.Varchar, new("e", MaskKind.Fake, FakeKinds.Email)),
    ];

    [Fact]
    public async Task Mask_values_read_by_binary_copy_write_back_into_the_same_constraints()
    {
        var database = await PostgresSandbox.CreateDatabaseAsync("masking");
        await PostgresSandbox.ExecuteAsync(database, Table + ";" + Table.Replace("people", "masked", StringComparison.Ordinal) + """
            ;
            INSERT INTO people
            SELECT g, 'Person ' || g, 'v' || g, g % 1000, g, g * 1000000007::bigint, md5(g::text)::uuid,
                   date '1980-01-01' + g, timestamp '2024-01-01 08:30' + g * interval '1 hour', timestamptz '2024-01-01 08:30+00' + g * interval '1 minute',
                   ('10.0.' || (g / 250) || '.' || (g % 250))::inet, int4send(g), 12.34, '{"email": "x"}', g % 2 = 0, 'user' || g || '@shop.example'
            FROM generate_series(1, 2000) g;
            INSERT INTO people (k, t, v) VALUES (0, 'Nobody', 'nulls');
            """);
        var factory = new SnapshotMaskerFactory(Encoding.UTF8.GetBytes("a snapshot key of thirty-two bytes or more"), "en");
        var catalog = await ReadCatalogAsync(database);
        var table = new TableRule("public", "people", false, null, Columns.Select(c => c.Rule).ToList());
        Assert.Empty(SnapshotRulesCheck.Check(catalog, SnapshotSettings.Empty with { Tables = [table, table with { Table = "masked" }] }));
        var maskers = Columns.Select(c => c.Rule.Kind == MaskKind.Keep ? null : factory.Create(table, c.Rule, catalog[0].Columns.Single(k => k.Name == c.Column))).ToList();

        await using (var source = new NpgsqlConnection(database))
        await using (var target = new NpgsqlConnection(database))
        {
            await source.OpenAsync();
            await target.OpenAsync();
            var names = string.Join(", ", Columns.Select(c => c.Column));
            await using var reader = await source.BeginBinaryExportAsync($"COPY people ({names}) TO STDOUT (FORMAT binary)");
            await using var writer = await target.BeginBinaryImportAsync($"COPY masked ({names}) FROM STDIN (FORMAT binary)");
            var types = new Dictionary<string, string>(StringComparer.Ordinal);
            while (await reader.StartRowAsync() != -1)
            {
                await writer.StartRowAsync();
                for (var i = 0; i < Columns.Length; i++)
                {
                    var value = reader.IsNull ? null : await reader.ReadAsync<object>(Columns[i].DbType);
                    if (value is null)
                    {
                        await reader.SkipAsync();
                    }

                    var masked = maskers[i] is { } masker ? masker.Mask(value) : value;
                    if (value is not null)
                    {
                        types[Columns[i].Column] = value.GetType().Name + "->" + masked?.GetType().Name;
                    }

                    if (masked is null)
                    {
                        await writer.WriteNullAsync();
                    }
                    else
                    {
                        await writer.WriteAsync(masked, Columns[i].DbType);
                    }
                }
            }

            await writer.CompleteAsync();

            // Npgsql 10's CLR types for binary COPY, and each masker's output in the same type.
            Assert.Equal(
                "k: Int32->Int32, t: String->String, v: String->String, i2: Int16->Int16, i4: Int32->Int32, i8: Int64->Int64, u: Guid->Guid, "
                + "d: DateOnly->DateOnly, ts: DateTime->DateTime, tz: DateTime->DateTime, ip: IPAddress->IPAddress, b: Byte[]->Byte[], "
                + "n: Decimal->Decimal, j: String->String, f: Boolean->, e: String->String",
                string.Join(", ", types.Select(t => $"{t.Key}: {t.Value}")));
        }

        Assert.Equal(2001, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM masked"));
        // No masked value is its row's original.
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, """
            SELECT count(*) FROM masked m JOIN people p USING (k)
            WHERE p.t = m.t OR p.v = m.v OR p.i2 = m.i2 OR p.i4 = m.i4 OR p.i8 = m.i8 OR p.u = m.u OR p.d = m.d OR p.ts = m.ts OR p.tz = m.tz
               OR p.ip = m.ip OR p.b = m.b OR p.e = m.e
            """));
        Assert.Equal(2001, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM masked WHERE f IS NULL"));
        Assert.Equal(2000, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM masked WHERE n = 1.50 AND j = '{\"masked\": true}' AND e LIKE '%@example.___'"));
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM masked WHERE i2 IS NULL AND u IS NULL AND d IS NULL AND ip IS NULL AND e IS NULL"));
        // Dates and times move by 1 to 30 whole days; signs and ranges of integers hold.
        Assert.Equal(2000, await PostgresSandbox.ScalarAsync(database, """
            SELECT count(*) FROM masked m JOIN people p USING (k)
            WHERE abs(m.d - p.d) BETWEEN 1 AND 30 AND abs(extract(epoch FROM m.ts - p.ts)) BETWEEN 86400 AND 30 * 86400
              AND extract(epoch FROM m.ts - p.ts)::bigint % 86400 = 0 AND abs(extract(epoch FROM m.tz - p.tz)) BETWEEN 86400 AND 30 * 86400
              AND m.i2 >= 0 AND m.i8 > 0 AND length(m.v) = 14
            """));
    }

    private static async Task<IReadOnlyList<SnapshotCatalogTable>> ReadCatalogAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        return await SnapshotCatalog.ReadAsync(connection, CancellationToken.None);
    }
}
