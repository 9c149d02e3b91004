using System.Text.RegularExpressions;
using Backstop.Cli.Tests.Team;
using Npgsql;

namespace Backstop.Cli.Tests.Proxy;

/// <summary>
/// Through the proxy of a real `backstop server` (issue 16): a service account's session (static guard and audit),
/// Npgsql as a person (extended protocol, prepared statements, batching, binary COPY), CancelRequest routing, and TLS.
/// </summary>
[Trait("Speed", "Slow")]
public sealed partial class ProxyServiceAndNpgsqlTests : IAsyncLifetime
{
    private const string AppPassword = "app-service-password-4";

    private TeamSetup _team = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        _team = await TeamSetup.StartAsync(
            ProxyPsqlTests.ProxySettings + "  tls: { certificate: tls.crt, key: tls.key }\n",
            before: (workspace, _) =>
            {
                TlsTests.WriteSelfSigned(Path.Combine(workspace.Directory, "tls.crt"), Path.Combine(workspace.Directory, "tls.key"));
                return Task.CompletedTask;
            });
        await TeamSetup.Must(_team.Workspace.RunWithInputAsync(new StringReader(AppPassword + "\n"), false, "user", "add", "app", "--role", "service", "--password-stdin"));
        _port = await _team.Server.ProxyPortAsync();
        await _team.LoginAllAsync();
    }

    public async Task DisposeAsync() => await _team.DisposeAsync();

    private string ConnectionString(string user, string password, string ssl = "Disable") =>
        $"Host=127.0.0.1;Port={_port};Username={user};Password={password};Database=prod;SSL Mode={ssl};Trust Server Certificate=true;Pooling=false;Timeout=30;Command Timeout=60";

    [Fact]
    public async Task Service_account_catastrophic_statements_are_refused_and_its_ordinary_writes_pass_and_are_audited()
    {
        var name = await Backstop.Testing.PostgresSandbox.TextAsync(_team.Database, "SELECT current_database()");
        foreach (var sql in new[] { "UPDATE users SET name = 'gone'", "DELETE FROM leads WHERE 1 = 1", "TRUNCATE leads", "DROP TABLE leads", $"DROP DATABASE {name}" })
        {
            var refused = await ProxyPsql.RunAsync(_port, "app", AppPassword, sql);
            Assert.True(refused.ExitCode == 1, sql + "\n" + refused);
            Assert.Contains("is refused for service accounts on the prod environment", refused.Error, StringComparison.Ordinal);
        }

        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM users WHERE name = 'gone'"));
        Assert.Equal(250, await _team.CountAsync("SELECT count(*) FROM leads"));

        // Npgsql sends the same statement with the extended protocol: refused with the documented SQLSTATE.
        await using (var connection = new NpgsqlConnection(ConnectionString("app", AppPassword)))
        {
            await connection.OpenAsync();
            await using var update = new NpgsqlCommand("UPDATE users SET name = 'gone'", connection);
            var error = await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync());
            Assert.Equal("ZB004", error.SqlState);

            // The session goes on, and an application's ordinary writes pass without confirmation.
            await using var write = new NpgsqlCommand("UPDATE users SET name = @name WHERE id = @id", connection);
            write.Parameters.AddWithValue("name", "written by the app");
            write.Parameters.AddWithValue("id", 5);
            Assert.Equal(1, await write.ExecuteNonQueryAsync());
        }

        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM users WHERE name = 'written by the app'"));
        var audited = await WaitForAuditAsync("app", "written by the app");
        Assert.Contains("UPDATE users SET name = @name WHERE id = @id".Replace("@name", "$1", StringComparison.Ordinal).Replace("@id", "$2", StringComparison.Ordinal), audited, StringComparison.Ordinal);
        Assert.Contains("proxy.refused", audited, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Npgsql_person_reads_batches_copies_and_a_prepared_confirmed_update_is_kept_and_undone()
    {
        await using var connection = new NpgsqlConnection(ConnectionString("alice", TeamSetup.AlicePassword));
        await connection.OpenAsync();

        await using (var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { new("SELECT count(*) FROM users"), new("SELECT count(*) FROM leads") },
        })
        {
            await using var reader = await batch.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(50, reader.GetInt64(0));
            Assert.True(await reader.NextResultAsync() && await reader.ReadAsync());
            Assert.Equal(250, reader.GetInt64(0));
        }

        // A batch with writes: each is guarded where it stands in the pipeline, each confirmed just before it.
        await using (var writes = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new("SET backstop.confirm = 'prod'"),
                new("UPDATE users SET name = 'batched 11' WHERE id = 11"),
                new("SET backstop.confirm = 'prod'"),
                new("UPDATE users SET name = 'batched 12' WHERE id = 12"),
                new("SELECT count(*) FROM users WHERE name LIKE 'batched %'"),
            },
        })
        {
            Assert.Equal(2L, await writes.ExecuteScalarAsync());
            Assert.Equal(1, writes.BatchCommands[1].RecordsAffected);
            Assert.Equal(1, writes.BatchCommands[3].RecordsAffected);
        }

        Assert.Equal(2, await _team.CountAsync("SELECT count(*) FROM users WHERE name LIKE 'batched %'"));

        var ids = new List<int>();
        await using (var export = await connection.BeginBinaryExportAsync("COPY (SELECT id FROM users ORDER BY id) TO STDOUT (FORMAT BINARY)"))
        {
            while (await export.StartRowAsync() != -1)
            {
                ids.Add(await export.ReadAsync<int>());
            }
        }

        Assert.Equal(Enumerable.Range(1, 50), ids);

        await using (var confirm = new NpgsqlCommand("SET backstop.confirm = 'prod'", connection))
        {
            await confirm.ExecuteNonQueryAsync();
        }

        await using var update = new NpgsqlCommand("UPDATE users SET name = @name WHERE id = @id", connection);
        update.Parameters.AddWithValue("name", "prepared by npgsql");
        update.Parameters.AddWithValue("id", 9);
        await update.PrepareAsync();
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add(e.Notice.MessageText);
        Assert.Equal(1, await update.ExecuteNonQueryAsync());
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 9 AND name = 'prepared by npgsql'"));
        var change = ChangeNumber().Match(string.Join("\n", notices));
        Assert.True(change.Success, string.Join("\n", notices));

        // Without a new confirmation, the same prepared statement is refused and nothing changes.
        update.Parameters["id"].Value = 10;
        var refused = await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync());
        Assert.Equal("ZB003", refused.SqlState);
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 10 AND name = 'prepared by npgsql'"));

        // The session is usable after the refusal.
        await using (var read = new NpgsqlCommand("SELECT name FROM users WHERE id = 9", connection))
        {
            Assert.Equal("prepared by npgsql", await read.ExecuteScalarAsync());
        }

        var undone = await _team.Alice.RunAsync("undo", change.Groups[1].Value, "--confirm", "prod");
        Assert.True(undone.ExitCode == 0, undone.ToString());
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM users WHERE id = 9 AND name = 'user 9'"));
    }

    [Fact]
    public async Task A_table_a_person_wrote_gets_persistent_capture_and_the_next_write_runs_once_and_is_undone()
    {
        // The first kept write to leads goes the measured way, and the server gives leads its trigger after it.
        await using var connection = await TriggeredLeadsSessionAsync();
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM backstop.change_tables WHERE table_name = 'leads'"));

        // The next runs once: its images are staged rows, made into an image table after the commit, with each row's xmin.
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add(e.Notice.MessageText);
        await ConfirmedAsync(connection, "UPDATE leads SET note = 'one run' WHERE id IN (2, 3)");
        var change = ChangeNumber().Match(string.Join("\n", notices));
        Assert.True(change.Success, string.Join("\n", notices));
        await WaitForAsync("""
            SELECT count(*) FROM backstop.change_tables ct JOIN pg_attribute a ON a.attrelid = to_regclass('backstop.' || quote_ident(ct.image_table))
            WHERE ct.table_name = 'leads' AND NOT ct.staged AND ct.updated = 2 AND a.attname = 'backstop_row_xmin'
            """);
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM backstop.guard_rows"));

        // An application's writes to the same table stage nothing.
        await using (var app = new NpgsqlConnection(ConnectionString("app", AppPassword)))
        {
            await app.OpenAsync();
            await using var write = new NpgsqlCommand("UPDATE leads SET note = 'by the app' WHERE id BETWEEN 10 AND 20", app);
            Assert.Equal(11, await write.ExecuteNonQueryAsync());
        }

        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM backstop.guard_rows"));

        var undone = await _team.Alice.RunAsync("undo", change.Groups[1].Value, "--confirm", "prod");
        Assert.True(undone.ExitCode == 0, undone.ToString());
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM leads WHERE note = 'one run'"));
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM leads WHERE note = 'measured'"));
        Assert.Equal(11, await _team.CountAsync("SELECT count(*) FROM leads WHERE note = 'by the app'"));
    }

    [Fact]
    public async Task A_one_run_write_the_server_refuses_in_autocommit_is_its_error_to_the_client_and_leaves_nothing()
    {
        await using var connection = await TriggeredLeadsSessionAsync();
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add(e.Notice.MessageText);

        // The foreign key refuses it inside the guard's pipeline; the client gets the server's error, and nothing of
        // it, staged rows included, is left, nor a transaction.
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ConfirmedAsync(connection, "UPDATE leads SET user_id = 999 WHERE id = 2"));
        Assert.Equal("23503", refused.SqlState);
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM leads WHERE user_id = 999"));
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM backstop.guard_rows"));
        await using (var probe = new NpgsqlCommand("SELECT 1", connection))
        {
            Assert.Equal(1, await probe.ExecuteScalarAsync());
        }

        // It was recorded as running while it ran, and that record goes with it: no change to list or undo.
        var config = Core.Configuration.ConfigLoader.Load(_team.Workspace.ConfigPath);
        var store = await Core.State.StateStores.OpenAsync(Core.State.StateLocation.Of(config, Environment.GetEnvironmentVariable), null, CancellationToken.None);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await store.ListAsync("prod", 100, CancellationToken.None)).Any(c => c.Script.Contains("user_id = 999", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the refused statement's running record is still in the state store after 20 s");
            await Task.Delay(100);
        }

        // The session goes on: the next write runs once and is kept; the refused one left no change behind.
        await ConfirmedAsync(connection, "UPDATE leads SET note = 'after the error' WHERE id = 4");
        Assert.Matches(ChangeNumber(), string.Join("\n", notices));
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM leads WHERE id = 4 AND note = 'after the error'"));
        Assert.Equal(2, await _team.CountAsync("SELECT count(*) FROM backstop.change_tables WHERE table_name = 'leads'"));
    }

    [Fact]
    public async Task A_one_run_write_the_server_refuses_in_a_transaction_is_its_error_and_aborts_it_until_rollback()
    {
        await using var connection = await TriggeredLeadsSessionAsync();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var inside = await Assert.ThrowsAsync<PostgresException>(() => ConfirmedAsync(connection, "UPDATE leads SET user_id = 999 WHERE id = 3"));
            Assert.Equal("23503", inside.SqlState);
            await using var next = new NpgsqlCommand("SELECT 1", connection);
            Assert.Equal("25P02", (await Assert.ThrowsAsync<PostgresException>(() => next.ExecuteScalarAsync())).SqlState);
            await transaction.RollbackAsync();
        }

        await using var after = new NpgsqlCommand("SELECT count(*) FROM leads WHERE user_id = 999", connection);
        Assert.Equal(0L, await after.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_guarded_write_behind_a_message_that_fails_is_not_run_and_the_client_gets_that_error_alone()
    {
        // The guard's first pipeline goes in the same write as the client's Parse, Bind and Describe; when one of the
        // client's own messages fails, the server discards the guard's statements, and the client sees what it would
        // see without the proxy.
        await using var connection = await TriggeredLeadsSessionAsync();
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add(e.Notice.MessageText);

        // The write's own Parse fails (a column that is not there).
        var typo = await Assert.ThrowsAsync<PostgresException>(() => ConfirmedAsync(connection, "UPDATE leads SET no_such_column = 1 WHERE id = 6"));
        Assert.Equal("42703", typo.SqlState);

        // A statement before it in the same batch fails.
        await using (var batch = new NpgsqlBatch(connection) { BatchCommands = { new("SET backstop.confirm = 'prod'"), new("SELECT 1/0"), new("UPDATE leads SET note = 'not run' WHERE id = 6") } })
        {
            Assert.Equal("22012", (await Assert.ThrowsAsync<PostgresException>(() => batch.ExecuteNonQueryAsync())).SqlState);
        }

        // Inside a transaction: the failure aborts it, as the server's own error does, until ROLLBACK.
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            Assert.Equal("42703", (await Assert.ThrowsAsync<PostgresException>(() => ConfirmedAsync(connection, "UPDATE leads SET no_such_column = 2 WHERE id = 6"))).SqlState);
            await using var next = new NpgsqlCommand("SELECT 1", connection);
            Assert.Equal("25P02", (await Assert.ThrowsAsync<PostgresException>(() => next.ExecuteScalarAsync())).SqlState);
            await transaction.RollbackAsync();
        }

        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM leads WHERE note = 'not run'"));
        Assert.DoesNotMatch(ChangeNumber(), string.Join("\n", notices));

        // The session goes on: the next write is guarded and kept.
        await ConfirmedAsync(connection, "UPDATE leads SET note = 'after the failures' WHERE id = 6");
        Assert.Matches(ChangeNumber(), string.Join("\n", notices));
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM leads WHERE id = 6 AND note = 'after the failures'"));
    }

    [Fact]
    public async Task ROLLBACK_TO_SAVEPOINT_leaves_the_transaction_open_and_its_kept_write_recorded_at_COMMIT()
    {
        // What psql's ON_ERROR_ROLLBACK does after a typo: ROLLBACK TO SAVEPOINT, whose command tag is ROLLBACK too.
        await using var connection = await TriggeredLeadsSessionAsync();
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add(e.Notice.MessageText);
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await ConfirmedAsync(connection, "UPDATE leads SET note = 'kept across a rollback to' WHERE id = 8");
            await using (var savepoint = new NpgsqlCommand("SAVEPOINT typo", connection))
            {
                await savepoint.ExecuteNonQueryAsync();
            }

            await using (var typo = new NpgsqlCommand("SELEC 1", connection))
            {
                Assert.Equal("42601", (await Assert.ThrowsAsync<PostgresException>(() => typo.ExecuteNonQueryAsync())).SqlState);
            }

            await using (var back = new NpgsqlCommand("ROLLBACK TO SAVEPOINT typo", connection))
            {
                await back.ExecuteNonQueryAsync();
            }

            Assert.DoesNotMatch(ChangeNumber(), string.Join("\n", notices));
            await transaction.CommitAsync();
        }

        // The write committed with the transaction, and is a change of alice's that undo takes back.
        Assert.Equal(1, await _team.CountAsync("SELECT count(*) FROM leads WHERE id = 8 AND note = 'kept across a rollback to'"));
        var kept = ChangeNumber().Match(string.Join("\n", notices));
        Assert.True(kept.Success, "no change was recorded at COMMIT: " + string.Join(" | ", notices));
        var undone = await _team.Alice.RunAsync("undo", kept.Groups[1].Value, "--confirm", "prod");
        Assert.True(undone.ExitCode == 0, undone.ToString());
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM leads WHERE note = 'kept across a rollback to'"));
    }

    /// <summary>Alice's session, after a first kept write to leads gave it persistent capture (so writes there run once).</summary>
    private async Task<NpgsqlConnection> TriggeredLeadsSessionAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString("alice", TeamSetup.AlicePassword));
        await connection.OpenAsync();
        await ConfirmedAsync(connection, "UPDATE leads SET note = 'measured' WHERE id = 1");
        await WaitForAsync("SELECT count(*) FROM pg_trigger WHERE tgname = 'backstop_guard_row' AND tgrelid = 'leads'::regclass");
        return connection;
    }

    [Fact]
    public async Task Records_a_stopped_server_left_running_are_settled_from_the_change_log_by_the_next_server()
    {
        // A kept write of alice's; its record is written as running while the database commits, and settled after.
        await using var connection = new NpgsqlConnection(ConnectionString("alice", TeamSetup.AlicePassword));
        await connection.OpenAsync();
        var notices = new List<string>();
        connection.Notice += (_, e) => notices.Add(e.Notice.MessageText);
        await ConfirmedAsync(connection, "UPDATE leads SET note = 'left running' WHERE id = 5");
        var kept = long.Parse(ChangeNumber().Match(string.Join("\n", notices)).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

        var config = Core.Configuration.ConfigLoader.Load(_team.Workspace.ConfigPath);
        var store = await Core.State.StateStores.OpenAsync(Core.State.StateLocation.Of(config, Environment.GetEnvironmentVariable), null, CancellationToken.None);
        var settled = await SettledAsync(store, kept);
        Assert.Equal(Core.State.ChangeOutcome.Committed, settled.Outcome);

        // What a server stopped between the two leaves: that change still running, and one that never committed.
        await store.UpdateAsync(settled with { Outcome = Core.State.ChangeOutcome.Running, Message = null }, CancellationToken.None);
        var never = await store.AddAsync(settled with { Id = 0, ChangeUuid = Guid.CreateVersion7(), Outcome = Core.State.ChangeOutcome.Running, Message = null }, CancellationToken.None);

        await using (await _team.StartAnotherServerAsync())
        {
            var committed = await SettledAsync(store, kept);
            Assert.Equal(Core.State.ChangeOutcome.Committed, committed.Outcome);
            Assert.Contains("change log", committed.Message, StringComparison.Ordinal);
            Assert.Equal(Core.State.ChangeOutcome.Failed, (await SettledAsync(store, never)).Outcome);
        }

        // Settled as committed, it is undone as any other.
        var undone = await _team.Alice.RunAsync("undo", kept.ToString(System.Globalization.CultureInfo.InvariantCulture), "--confirm", "prod");
        Assert.True(undone.ExitCode == 0, undone.ToString());
        Assert.Equal(0, await _team.CountAsync("SELECT count(*) FROM leads WHERE note = 'left running'"));
    }

    /// <summary>The change's record once it is no longer running (within 20 s).</summary>
    private static async Task<Core.State.ChangeRecord> SettledAsync(Core.State.IStateStore store, long id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var record = await store.GetAsync(id, CancellationToken.None);
            Assert.NotNull(record);
            if (record.Outcome != Core.State.ChangeOutcome.Running)
            {
                return record;
            }

            Assert.True(DateTime.UtcNow < deadline, $"change {id} is still recorded as running after 20 s");
            await Task.Delay(100);
        }
    }

    private static async Task ConfirmedAsync(NpgsqlConnection connection, string sql)
    {
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { new("SET backstop.confirm = 'prod'"), new(sql) } };
        await batch.ExecuteNonQueryAsync();
    }

    private async Task WaitForAsync(string countSql)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await _team.CountAsync(countSql) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "not within 20 s: " + countSql);
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Cancel_request_through_the_proxy_cancels_that_clients_query_and_no_other()
    {
        await using var first = new NpgsqlConnection(ConnectionString("alice", TeamSetup.AlicePassword));
        await using var second = new NpgsqlConnection(ConnectionString("bob", TeamSetup.BobPassword));
        await first.OpenAsync();
        await second.OpenAsync();

        await using var slow = new NpgsqlCommand("SELECT pg_sleep(3)", second);
        var other = slow.ExecuteScalarAsync();
        await using var sleeping = new NpgsqlCommand("SELECT pg_sleep(60)", first);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var cancelled = await Assert.ThrowsAnyAsync<Exception>(() => sleeping.ExecuteScalarAsync(cancel.Token));

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"the cancel took {started.Elapsed}");
        Assert.True(cancelled is OperationCanceledException { InnerException: PostgresException { SqlState: "57014" } }, cancelled.ToString());
        await other;
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(2.5), "the other session's query was cut short");
        await using var again = new NpgsqlCommand("SELECT 1", first);
        Assert.Equal(1, await again.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Psql_and_npgsql_connect_with_tls()
    {
        var psql = await ProxyPsql.RunAsync(_port, "alice", TeamSetup.AlicePassword, "SELECT count(*) FROM users", sslMode: "require");
        Assert.True(psql.ExitCode == 0, psql.ToString());
        Assert.Equal("50", psql.Out.Trim());

        await using var connection = new NpgsqlConnection(ConnectionString("alice", TeamSetup.AlicePassword, "Require"));
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT count(*) FROM leads", connection);
        Assert.Equal(250L, await read.ExecuteScalarAsync());
    }

    private async Task<string> WaitForAuditAsync(string actor, string contains)
    {
        var text = "";
        for (var attempt = 0; attempt < 40; attempt++)
        {
            var listed = await _team.Workspace.RunAsync("audit", "list", "--actor", actor, "--limit", "100", "--json");
            text = listed.Out;
            if (text.Contains("$1", StringComparison.Ordinal) && text.Contains("proxy.refused", StringComparison.Ordinal))
            {
                return text;
            }

            await Task.Delay(250);
        }

        return text;
    }

    [GeneratedRegex(@"kept this as change (\d+)")]
    private static partial Regex ChangeNumber();
}
