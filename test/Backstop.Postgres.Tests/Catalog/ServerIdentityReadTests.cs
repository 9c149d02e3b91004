using Backstop.Postgres.Catalog;
using Backstop.Testing;
using Npgsql;

namespace Backstop.Postgres.Tests.Catalog;

/// <summary>What <see cref="ServerIdentity.ReadAsync"/> reads from a real server, and what it tells apart.</summary>
public sealed class ServerIdentityReadTests
{
    [Fact]
    public async Task ReadAsync_two_databases_of_one_cluster_share_the_system_identifier_and_differ_by_name()
    {
        var first = await ReadAsync(await PostgresSandbox.CreateDatabaseAsync("identity_a"));
        var second = await ReadAsync(await PostgresSandbox.CreateDatabaseAsync("identity_b"));

        Assert.Equal(first.SystemIdentifier, second.SystemIdentifier);
        Assert.Matches("^[0-9]{15,20}$", first.SystemIdentifier);
        Assert.NotEqual(first.DatabaseOid, second.DatabaseOid);
        Assert.Equal($"database '{second.Database}', expected '{first.Database}'", second.DifferenceFrom(first));
        Assert.Null(first.DifferenceFrom(first));
    }

    [Fact]
    public async Task ReadAsync_database_dropped_and_created_again_under_its_name_is_told_apart_by_its_oid()
    {
        var database = await PostgresSandbox.CreateDatabaseAsync("identity_re");
        var before = await ReadAsync(database);

        var name = PgIdentifier.Quote(before.Database);
        await PostgresSandbox.ExecuteAsync((await PostgresSandbox.GetAsync()).ConnectionString(), $"DROP DATABASE {name}");
        await PostgresSandbox.ExecuteAsync((await PostgresSandbox.GetAsync()).ConnectionString(), $"CREATE DATABASE {name}");
        var after = await ReadAsync(database);

        Assert.Equal(before.Database, after.Database);
        Assert.Equal(
            $"database OID {after.DatabaseOid}, expected {before.DatabaseOid}: database '{before.Database}' was dropped and created again under the same name, or restored from a dump",
            after.DifferenceFrom(before));
    }

    private static async Task<ServerIdentity> ReadAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return await ServerIdentity.ReadAsync(connection, "127.0.0.1", connection.Port, CancellationToken.None);
    }
}
