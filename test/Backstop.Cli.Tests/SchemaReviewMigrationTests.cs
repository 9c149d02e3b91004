using System.Text.Json;
using Backstop.Testing;

namespace Backstop.Cli.Tests;

/// <summary><c>backstop review -f migration.sql</c>: what a migration would introduce, found before it runs, and nothing changed.</summary>
public sealed class SchemaReviewMigrationTests : IDisposable
{
    // events is big (100,000 rows) and its foreign key to users has no index.
    private const string BigTable = """
        CREATE TABLE events (id bigint PRIMARY KEY, user_id int NOT NULL CONSTRAINT events_user REFERENCES users, kind text);
        INSERT INTO events SELECT g, 1 + g % 1050, 'view' FROM generate_series(1, 100000) g;
        ANALYZE events;
        """;

    private readonly CliWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Review_migration_adding_on_delete_cascade_to_a_big_tables_unindexed_foreign_key_is_reported_before_it_runs()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", SchemaReviewSchema.Sql + BigTable);
        await File.WriteAllTextAsync(Path.Combine(_workspace.Directory, "migration.sql"), """
            ALTER TABLE events DROP CONSTRAINT events_user,
                ADD CONSTRAINT events_user FOREIGN KEY (user_id) REFERENCES users ON DELETE CASCADE;
            """);

        var result = await _workspace.RunAsync("review", "-e", "dev", "-f", "migration.sql", "--json", "--fail-on", "high");

        Assert.True(result.ExitCode == 1, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        var cascade = SchemaReviewTests.Finding(json, "migration-new-cascade", "public.users");
        Assert.Contains("public.events (ON DELETE CASCADE via public.events.events_user", cascade.GetProperty("why").GetString(), StringComparison.Ordinal);
        Assert.Equal("high", SchemaReviewTests.Finding(json, "cascade-without-index", "public.events.events_user").GetProperty("severity").GetString());
        // The organizations' reach grows too; findings that existed before the migration are not repeated.
        SchemaReviewTests.Finding(json, "migration-new-cascade", "public.organizations");
        Assert.DoesNotContain(SchemaReviewTests.Findings(json), f => f.GetProperty("rule").GetString() == "table-without-key");
        Assert.Equal("a", await PostgresSandbox.TextAsync(database, "SELECT confdeltype::text FROM pg_constraint WHERE conname = 'events_user'"));
    }

    [Fact]
    public async Task Review_migration_with_a_volatile_not_null_default_and_a_blocking_create_index_reports_both_and_changes_nothing()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", SchemaReviewSchema.Sql + BigTable);
        await File.WriteAllTextAsync(Path.Combine(_workspace.Directory, "migration.sql"), """
            ALTER TABLE events ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();
            ALTER TABLE events ADD COLUMN source text NOT NULL DEFAULT 'web';
            CREATE INDEX events_user_id ON events (user_id);
            """);

        var result = await _workspace.RunAsync("review", "-e", "dev", "-f", "migration.sql", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        SchemaReviewTests.Finding(json, "migration-volatile-default", "public.events.token");
        Assert.DoesNotContain(SchemaReviewTests.Findings(json), f => f.GetProperty("object").GetString() == "public.events.source");
        SchemaReviewTests.Finding(json, "migration-create-index-blocking", "public.events");
        Assert.Equal(0, await PostgresSandbox.ScalarAsync(database, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'events'::regclass AND attname IN ('token', 'source')"));
        Assert.Null(await PostgresSandbox.TextAsync(database, "SELECT to_regclass('events_user_id')::text"));
    }
}
