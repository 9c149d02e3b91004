using Npgsql;

namespace Backstop.Testing;

/// <summary>
/// Where the tests keep Backstop's state: in the SQLite file by default, or, when <c>BACKSTOP_TEST_STATE=postgresql</c>,
/// in a database of its own in the shared sandbox for each workspace (`./test.sh --state postgresql`). The helpers that
/// write a backstop.yaml or open a store ask here, so the same tests prove both stores.
/// </summary>
internal static class TestState
{
    public const string Variable = "BACKSTOP_TEST_STATE";

    /// <summary>Whether the state goes to PostgreSQL; any value but <c>sqlite</c>, <c>postgresql</c> or none stops the run.</summary>
    public static bool InPostgres => Environment.GetEnvironmentVariable(Variable) switch
    {
        null or "" or "sqlite" => false,
        "postgresql" => true,
        var other => throw new InvalidOperationException($"{Variable}={other} is not a state store; use sqlite or postgresql"),
    };

    /// <summary>A new, empty database of the sandbox for a state store; its URL (without a password: the sandbox trusts local connections).</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(await PostgresSandbox.CreateDatabaseAsync("state"));
        return $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
    }

    /// <summary>The <c>state:</c> line for a new backstop.yaml (with a database of its own), or null for the default SQLite file.</summary>
    public static async Task<string?> SettingAsync() => InPostgres ? "state: " + await CreateDatabaseAsync() : null;
}
