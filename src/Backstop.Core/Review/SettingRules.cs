using Backstop.Postgres;
using Backstop.Sql;
using Npgsql;

namespace Backstop.Core.Review;

/// <summary>
/// Timeouts that bound the damage of a runaway statement, a lock queue or a forgotten transaction. Read from
/// pg_settings.reset_val: the value a session of the connecting role starts with in this database, after postgresql.conf,
/// ALTER DATABASE … SET and ALTER ROLE … SET (docs: "Setting Parameters"); Backstop's own SET LOCALs do not show there.
/// </summary>
internal static class SettingRules
{
    private const string Sql = """
        SELECT current_user::text, current_database()::text,
               (SELECT reset_val FROM pg_settings WHERE name = 'statement_timeout'),
               (SELECT reset_val FROM pg_settings WHERE name = 'lock_timeout'),
               (SELECT reset_val FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout')
        """;

    public static async Task<IReadOnlyList<ReviewFinding>> EvaluateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(Sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (role, database) = (reader.GetString(0), reader.GetString(1));
        var findings = new List<ReviewFinding>();
        Check(ReviewRules.NoStatementTimeout, "statement_timeout", reader.GetString(2), "30s");
        Check(ReviewRules.NoLockTimeout, "lock_timeout", reader.GetString(3), "5s");
        Check(ReviewRules.NoIdleInTransactionTimeout, "idle_in_transaction_session_timeout", reader.GetString(4), "1min");
        return findings;

        void Check(ReviewRule rule, string setting, string value, string suggested)
        {
            if (value != "0")
            {
                return;
            }

            findings.Add(new ReviewFinding
            {
                Rule = rule.Id, Severity = rule.DefaultSeverity, Object = $"role {IdentifierDisplay.Name(role)}",
                Why = $"{setting} is 0 (off) for {role} in {database}: {char.ToLowerInvariant(rule.Description[0])}{rule.Description[1..]}",
                Fix = $"ALTER ROLE {PgIdentifier.Quote(role)} IN DATABASE {PgIdentifier.Quote(database)} SET {setting} = '{suggested}';",
            });
        }
    }
}
