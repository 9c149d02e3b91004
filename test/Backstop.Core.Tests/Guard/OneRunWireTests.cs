using Backstop.Core.Guard;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Core.Tests.Guard;

/// <summary>
/// What the one-run way reads back in text (IOneRunWire): PostgreSQL's own array output is the oracle for the parser
/// of key columns and unstaged tables, whose names may hold anything an identifier can.
/// </summary>
public sealed class OneRunWireTests
{
    public static TheoryData<string[]> Arrays => new()
    {
        new[] { "id" },
        new[] { "tenant_id", "id" },
        new[] { "a,b", "c\"d", "e\\f", "{g}", " h ", "NULL", "", "ünï" },
        Array.Empty<string>(),
    };

    [Theory]
    [MemberData(nameof(Arrays))]
    public async Task A_text_array_as_PostgreSQL_prints_it_is_read_back_element_for_element(string[] elements)
    {
        var database = await GuardDatabase.CreateAsync("one_run_wire");
        await using var connection = await database.OpenAsync();
        var reply = await new NpgsqlOneRunWire(connection).RunAsync([new WireStatement("SELECT string_to_array($1, chr(1))::text AS backstop_printed", string.Join('\u0001', elements))], CancellationToken.None);
        Assert.Null(reply.Error);
        var printed = reply.Sets.Single().Rows.Single()[0];

        Assert.Equal(elements, WireText.Array(printed));
    }

    [Fact]
    public async Task A_null_element_is_null_other_rows_are_not_kept_and_a_failed_statement_is_named_by_its_place()
    {
        var database = await GuardDatabase.CreateAsync("one_run_wire");
        await using var connection = await database.OpenAsync();
        var wire = new NpgsqlOneRunWire(connection);

        var nulls = await wire.RunAsync([new WireStatement("SELECT ARRAY['x', NULL]::text AS backstop_printed")], CancellationToken.None);
        Assert.Equal(new string?[] { "x", null }, WireText.Array(nulls.Sets.Single().Rows.Single()[0]).AsEnumerable());

        // A statement's own rows (RETURNING) are not the guard's to read, and are not kept.
        var many = await wire.RunAsync([new WireStatement("SELECT generate_series(1, 100000) AS n")], CancellationToken.None);
        Assert.Equal("SELECT 100000", many.Tags.Single());
        Assert.Empty(many.Sets.Single().Rows);

        var failed = await wire.RunAsync([new WireStatement("SELECT 1 AS one"), new WireStatement("SELECT 1 / 0"), new WireStatement("SELECT 2 AS two")], CancellationToken.None);
        Assert.Equal("22012", failed.Error?.SqlState);
        Assert.Equal(new string?[] { "SELECT 1", null, null }, failed.Tags.AsEnumerable());
        Assert.Throws<PostgresException>(() => failed.ThrowIfFailed());
    }
}
