using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Backstop.Postgres.Sandbox;
using Backstop.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Backstop.Cli.Tests;

/// <summary>
/// The cascading delete of one user, as it happened: from another client, outside Backstop, with the application
/// writing in every table before, during and after; repaired with one <c>backstop repair --root</c> command, and
/// compared row for row with a control database that received the same application writes and never the mistake.
/// </summary>
[Trait(TestSpeed.Name, TestSpeed.Slow)]
public sealed class RepairCascadeTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const int Users = 12;
    private const int Victim = 7;
    private static readonly string[] Compared = ["users", "leads", "conversations", "messages", "invoices"];
    private readonly CliWorkspace _workspace = new();
    private PitrIncidentPrimary _primary = null!;

    public async Task InitializeAsync() => _primary = await PitrIncidentPrimary.StartAsync("crm", "shop", "control");

    public async Task DisposeAsync() => await _primary.DisposeAsync();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task One_repair_with_root_brings_back_a_users_cascade_and_set_null_keeping_every_later_write_and_the_audit_trail()
    {
        var shop = _primary.ConnectionString("shop");
        var control = _primary.ConnectionString("control");
        foreach (var database in new[] { shop, control })
        {
            await PostgresSandbox.ExecuteAsync(database, $"""
                CREATE TABLE users (id bigint PRIMARY KEY, tenant int NOT NULL, name text NOT NULL, created_at timestamptz NOT NULL);
                CREATE TABLE leads (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE, status text NOT NULL, created_at timestamptz NOT NULL);
                CREATE INDEX ON leads (user_id);
                CREATE TABLE conversations (id bigint PRIMARY KEY, lead_id bigint NOT NULL REFERENCES leads ON DELETE CASCADE, subject text);
                CREATE INDEX ON conversations (lead_id);
                CREATE TABLE messages (id bigint PRIMARY KEY, conversation_id bigint NOT NULL REFERENCES conversations ON DELETE CASCADE, body text NOT NULL, sent_at timestamptz NOT NULL);
                CREATE INDEX ON messages (conversation_id);
                CREATE TABLE invoices (id bigint PRIMARY KEY, user_id bigint REFERENCES users ON DELETE SET NULL, amount numeric(12, 2) NOT NULL, issued_at timestamptz NOT NULL);
                CREATE TABLE audit_log (id bigserial PRIMARY KEY, table_name text NOT NULL, operation text NOT NULL, row_id bigint NOT NULL);
                CREATE FUNCTION audit_delete() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO audit_log (table_name, operation, row_id) VALUES (TG_TABLE_NAME, TG_OP, OLD.id);
                    RETURN OLD;
                END $$;
                CREATE TRIGGER users_audit AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION audit_delete();
                INSERT INTO users SELECT g, g % 3, 'user ' || g, timestamptz '2026-01-01' + g * interval '1 hour' FROM generate_series(1, {Users}) g;
                INSERT INTO leads SELECT g, (g - 1) / 300 + 1, 'open', timestamptz '2026-02-01' + g * interval '1 minute' FROM generate_series(1, {Users * 300}) g;
                INSERT INTO conversations SELECT g, (g - 1) / 10 + 1, 'conversation ' || g FROM generate_series(1, {Users * 3000}) g;
                INSERT INTO messages SELECT g, (g - 1) / 3 + 1, 'message ' || g, timestamptz '2026-03-01' + g * interval '1 second' FROM generate_series(1, {Users * 9000}) g;
                INSERT INTO invoices SELECT g, (g - 1) / 40 + 1, g % 997, timestamptz '2026-04-01' + g * interval '1 hour' FROM generate_series(1, {Users * 40}) g;
                ANALYZE;
                """);
        }

        await _primary.EnableAsync(_workspace, "shop", "staging");

        // The application writes in every table, to both databases alike, before, during and after the mistake.
        using var stop = new CancellationTokenSource();
        var application = Task.Run(() => ApplicationAsync(shop, control, stop.Token));
        await Task.Delay(1500);

        // From psql's place: one user deleted "to recreate it", which cascades through three tables and sets invoices' user_id NULL.
        var incidentAt = await PostgresSandbox.TextAsync(shop, "SELECT clock_timestamp()::text");
        await PostgresSandbox.ExecuteAsync(shop, $"DELETE FROM users WHERE id = {Victim}");
        var window = await PostgresSandbox.ScalarAsync(shop, $"SELECT ceil(extract(epoch FROM clock_timestamp() - '{incidentAt}'::timestamptz))::bigint + 1");
        await PitrIncidentPrimary.WaitForServerTimeAsync(shop, $"'{incidentAt}'::timestamptz + interval '{window + 1} seconds'");
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(shop, $"SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN leads l ON l.id = c.lead_id WHERE l.user_id = {Victim}"));

        // First a look (--dry-run), keeping the clones; then the repair, which uses them instead of cloning again.
        // No window: Backstop finds the DELETE's transaction in the WAL among the application's.
        var incident = new[] { "repair", "-e", "crm", "--incident-at", incidentAt!, "--root", "users", "--where", $"id = {Victim}", "--keep-sources" };
        var watch = Stopwatch.StartNew();
        var look = await _workspace.RunAsync([.. incident, "--dry-run"]);
        output.WriteLine($"repair --root --dry-run, clones included: {watch.Elapsed.TotalSeconds:0.0} s");
        Assert.True(look.ExitCode == 0, look.ToString());
        Assert.Contains("public.messages", look.Out, StringComparison.Ordinal);
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(shop, $"SELECT count(*) FROM users WHERE id = {Victim}"));

        watch.Restart();
        var repair = await _workspace.RunAsync([.. incident, "--yes", "--json"]);
        output.WriteLine($"repair --root with the kept clones: {watch.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(2, repair.Error.Split("kept by an earlier repair").Length - 1);
        await Task.Delay(1000);
        await stop.CancelAsync();
        var written = await application;
        output.WriteLine($"the application wrote {written} times to each database");
        Assert.True(written > 50, $"the application wrote only {written} times");
        Assert.True(repair.ExitCode == 0, repair.ToString());

        using var json = JsonDocument.Parse(repair.Out);
        var found = json.RootElement.GetProperty("repair").GetProperty("incident");
        Assert.Equal(1 + 300 + 3000 + 9000 + 40, found.GetProperty("records").GetInt64());
        Assert.True(found.GetProperty("otherTransactions").GetInt32() > 0, found.ToString());
        var tables = json.RootElement.GetProperty("repair").GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("table").GetString()!, t => t);
        var order = tables.Keys.ToList();
        Assert.Equal(Compared.Select(t => "public." + t).Order(StringComparer.Ordinal), order.Order(StringComparer.Ordinal));
        Assert.Equal("public.users", order[0]);
        Assert.True(order.IndexOf("public.leads") < order.IndexOf("public.conversations") && order.IndexOf("public.conversations") < order.IndexOf("public.messages"), string.Join(", ", order));
        Assert.Equal(1, tables["public.users"].GetProperty("inserts").GetInt32());
        Assert.Equal(300, tables["public.leads"].GetProperty("inserts").GetInt32());
        Assert.Equal(3000, tables["public.conversations"].GetProperty("inserts").GetInt32());
        Assert.Equal(9000, tables["public.messages"].GetProperty("inserts").GetInt32());
        Assert.Equal(40, tables["public.invoices"].GetProperty("updates").GetInt32());

        // Row for row, every table equals the control database, which got the same later writes and never the mistake.
        foreach (var table in Compared)
        {
            var sql = $"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) || ':' || count(*) FROM {table} t";
            Assert.Equal(await PostgresSandbox.TextAsync(control, sql), await PostgresSandbox.TextAsync(shop, sql));
        }

        // The audit trail the mistake wrote is kept.
        Assert.Equal(1, await PostgresSandbox.ScalarAsync(shop, $"SELECT count(*) FROM audit_log WHERE table_name = 'users' AND operation = 'DELETE' AND row_id = {Victim}"));

        var changeId = json.RootElement.GetProperty("change").GetProperty("changeId").GetInt64().ToString(CultureInfo.InvariantCulture);
        var again = await _workspace.RunAsync("repair", "-e", "crm", "--from", "crm", "--root", "users", "--where", $"id = {Victim}", "--yes");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("nothing to repair", again.Error, StringComparison.Ordinal);
        output.WriteLine($"repair change {changeId}");
    }

    /// <summary>Until cancelled: the same writes to both databases, to every table, for every user but the victim.</summary>
    private static async Task<int> ApplicationAsync(string shopUrl, string controlUrl, CancellationToken cancellationToken)
    {
        await using var shop = new NpgsqlConnection(shopUrl);
        await using var control = new NpgsqlConnection(controlUrl);
        await shop.OpenAsync(CancellationToken.None);
        await control.OpenAsync(CancellationToken.None);
        var random = new Random(7);
        var next = 10_000_000L;
        var writes = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            long user;
            do
            {
                user = random.Next(1, Users + 1);
            }
            while (user == Victim);

            var lead = ((user - 1) * 300) + random.Next(1, 301);
            var conversation = ((lead - 1) * 10) + random.Next(1, 11);
            var invoice = ((user - 1) * 40) + random.Next(1, 41);
            var at = new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero).AddSeconds(next - 10_000_000).ToString("O", CultureInfo.InvariantCulture);
            var id = next++;
            var sql = string.Create(CultureInfo.InvariantCulture, $"""
                INSERT INTO messages VALUES ({id}, {conversation}, 'later message {id}', '{at}');
                UPDATE leads SET status = 'contacted {id}' WHERE id = {lead};
                UPDATE conversations SET subject = 'later subject {id}' WHERE id = {conversation};
                UPDATE invoices SET amount = amount + 1 WHERE id = {invoice};
                INSERT INTO invoices VALUES ({id}, {user}, 12.50, '{at}');
                INSERT INTO leads VALUES ({id}, {user}, 'new', '{at}');
                UPDATE users SET name = 'user {user} renamed {id}' WHERE id = {user};
                """);
            foreach (var connection in new[] { shop, control })
            {
                // As applications do: a transaction chosen as a deadlock's victim is run again. (The repair's capture
                // creates triggers table by table while this transaction writes them in another order.)
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        await using var command = new NpgsqlCommand(sql, connection);
                        await command.ExecuteNonQueryAsync(CancellationToken.None);
                        break;
                    }
                    catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < 5)
                    {
                        await Task.Delay(50, CancellationToken.None);
                    }
                }
            }

            writes++;
            await Task.Delay(20, CancellationToken.None);
        }

        return writes;
    }
}
