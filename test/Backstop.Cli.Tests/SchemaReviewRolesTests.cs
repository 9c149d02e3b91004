using System.Text.Json;
using Backstop.Testing;
using static Backstop.Cli.Tests.SchemaReviewTests;

namespace Backstop.Cli.Tests;

/// <summary>
/// <c>review.roles</c>: the roles the application connects as are reviewed besides the one Backstop connects as
/// (issue 19: "the application's role owning tables or being superuser or BYPASSRLS", "no statement_timeout … for the
/// application's role"), with the layers of ALTER ROLE … SET PostgreSQL applies at connection.
/// </summary>
public sealed class SchemaReviewRolesTests : IDisposable
{
    private readonly CliWorkspace _workspace = new();
    private readonly string _role = "app_" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Application_role_that_owns_a_table_bypasses_row_security_and_has_no_timeouts_is_found_and_its_fixes_clear_it()
    {
        var database = await _workspace.AddEnvironmentAsync("dev", "development", $"""
            CREATE ROLE {_role} LOGIN BYPASSRLS;
            CREATE TABLE orders (id bigint PRIMARY KEY);
            ALTER TABLE orders OWNER TO {_role};
            """);
        await _workspace.AddSettingAsync("dev", $"""
            review:
                  roles: [{_role}]
            """);

        var before = await _workspace.RunAsync("review", "-e", "dev", "--json");
        Assert.True(before.ExitCode == 0, before.ToString());
        using var found = JsonDocument.Parse(before.Out);
        var subject = $"role {_role}";
        Assert.Contains("an application role (review.roles)", Finding(found, "role-bypassrls", subject).GetProperty("why").GetString(), StringComparison.Ordinal);
        Assert.Contains("public.orders", Finding(found, "role-owns-tables", subject).GetProperty("why").GetString(), StringComparison.Ordinal);
        var timeout = Finding(found, "no-statement-timeout", subject);
        Assert.Contains($"ALTER ROLE \"{_role}\" IN DATABASE", timeout.GetProperty("fix").GetString(), StringComparison.Ordinal);

        await PostgresSandbox.ExecuteAsync(database, $"ALTER ROLE {_role} NOBYPASSRLS");
        await PostgresSandbox.ExecuteAsync(database, timeout.GetProperty("fix").GetString()!);
        // A setting for the role in every database counts too.
        await PostgresSandbox.ExecuteAsync(database, $"ALTER ROLE {_role} SET lock_timeout = '5s'");

        using var after = JsonDocument.Parse((await _workspace.RunAsync("review", "-e", "dev", "--json")).Out);
        var left = Findings(after).Where(f => f.GetProperty("object").GetString() == subject).Select(f => f.GetProperty("rule").GetString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["no-idle-in-transaction-timeout", "role-owns-tables"], left);
        await PostgresSandbox.ExecuteAsync(database, $"ALTER TABLE orders OWNER TO CURRENT_USER; DROP OWNED BY {_role}; DROP ROLE {_role}");
    }

    [Fact]
    public async Task A_role_the_server_does_not_have_is_a_configuration_error_naming_it()
    {
        await _workspace.AddEnvironmentAsync("dev", "development", "CREATE TABLE t (id int PRIMARY KEY)");
        await _workspace.AddSettingAsync("dev", $"""
            review:
                  roles: [{_role}]
            """);

        var result = await _workspace.RunAsync("review", "-e", "dev");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"review.roles of environment 'dev' names '{_role}', which the server has no role of", result.Error.ReplaceLineEndings(" "), StringComparison.Ordinal);
    }
}
