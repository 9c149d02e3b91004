using System.Data.Common;
using System.Text;
using Backstop.Core.Audit;
using Backstop.Core.State;
using Backstop.Core.Tests.State;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Backstop.Core.Tests.Audit;

/// <summary>
/// An audit log in a new store of either kind, and the means to tamper with it behind its back as an attacker with the
/// owner's role would: the append-only triggers disabled (PostgreSQL: <c>session_replication_role = replica</c>, which
/// fires no ordinary trigger; SQLite: the triggers dropped), then plain SQL.
/// </summary>
internal sealed class AuditTestLog : IDisposable
{
    private AuditTestLog(string directory, StateLocation location, IAuditLog log)
    {
        Directory = directory;
        Location = location;
        Log = log;
    }

    public string Directory { get; }

    public StateLocation Location { get; }

    public IAuditLog Log { get; }

    public static async Task<AuditTestLog> CreateAsync(string kind)
    {
        var directory = Path.Combine(Path.GetTempPath(), "backstop-audit-" + Guid.NewGuid().ToString("N")[..8]);
        var location = await TestStores.CreateAsync(kind, directory);
        return new AuditTestLog(directory, location, await AuditLogs.OpenAsync(location, null, CancellationToken.None));
    }

    public static AuditRecord Record(int i) => new()
    {
        Actor = i % 3 == 0 ? "carol" : "alice",
        Action = "execute",
        Environment = "prod",
        Object = $"change {i}",
        Outcome = "ok",
        Detail = new Dictionary<string, string> { ["rows"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    /// <summary>Appends entries numbered 1 to <paramref name="count"/> (one transaction each, as separate calls would).</summary>
    public async Task AppendAsync(int count)
    {
        for (var i = 1; i <= count; i++)
        {
            await Log.AppendAsync(Record(i), CancellationToken.None);
        }
    }

    public AuditSigningKey Key(string name = "key.pem") => AuditSigningKey.LoadOrCreate(Path.Combine(Directory, name));

    /// <summary>Runs SQL on the store with the append-only triggers out of the way; its tables unqualified, its parameters @name.</summary>
    public async Task TamperAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenTamperingAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The stored JSON of entry <paramref name="seq"/>.</summary>
    public async Task<string> JsonAsync(long seq) => (await Log.GetAsync(seq, CancellationToken.None))!.Json;

    /// <summary>Writes <paramref name="json"/> as entry <paramref name="seq"/> with its leaf hash recomputed, as a careful attacker would.</summary>
    public Task RewriteAsync(long seq, string json) =>
        TamperAsync("UPDATE audit_entries SET entry = @entry, leaf_hash = @leaf_hash WHERE seq = @seq",
            ("entry", json), ("leaf_hash", MerkleTree.LeafHash(Encoding.UTF8.GetBytes(json))), ("seq", seq));

    /// <summary>Entry JSON with its number changed, everything else (its previous-entry hash too) kept.</summary>
    public static string Renumbered(string json, long seq) => (AuditEntry.Parse(json) with { Seq = seq }).ToCanonicalJson();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private async Task<DbConnection> OpenTamperingAsync()
    {
        if (Location.Url is { } url)
        {
            var builder = new NpgsqlConnectionStringBuilder(url.ToConnectionString()) { SearchPath = StateSchema.PostgresSchema };
            var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            await using var replica = new NpgsqlCommand("SET session_replication_role = replica", connection);
            await replica.ExecuteNonQueryAsync();
            return connection;
        }

        var file = new SqliteConnection($"Data Source={Location.FilePath};Pooling=false");
        await file.OpenAsync();
        await using var drop = new SqliteCommand(
            "DROP TRIGGER IF EXISTS audit_entries_no_update; DROP TRIGGER IF EXISTS audit_entries_no_delete; " +
            "DROP TRIGGER IF EXISTS audit_checkpoints_no_update; DROP TRIGGER IF EXISTS audit_checkpoints_no_delete", file);
        await drop.ExecuteNonQueryAsync();
        return file;
    }
}
