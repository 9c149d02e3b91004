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
    // For the connecting role, reset_val is exact. For another role, the layers PostgreSQL applies at connection
    // (docs: ALTER ROLE, "Notes"): role in this database, role everywhere, this database for every role; then the
    // server's value, which is reset_val unless this session's own value came from a role or database setting (then
    // boot_val, the closest the catalog shows without superuser's pg_file_settings).
    private const string Sql = """
        WITH roles AS (
            SELECT current_user::text AS rolname, true AS connecting
            UNION
            SELECT r, false FROM unnest(@roles::text[]) r WHERE r <> current_user
        ), here AS (SELECT oid FROM pg_database WHERE datname = current_database()),
        layered AS (
            SELECT d.setdatabase, ro.rolname::text AS rolname, substr(c, strpos(c, '=') + 1) AS value, split_part(c, '=', 1) AS name
            FROM pg_db_role_setting d LEFT JOIN pg_roles ro ON ro.oid = d.setrole, unnest(d.setconfig) c
        )
        SELECT r.rolname, r.connecting, current_database()::text, s.name,
               CASE WHEN r.connecting THEN s.reset_val ELSE coalesce(
                   (SELECT l.value FROM layered l WHERE l.name = s.name AND l.rolname = r.rolname AND l.setdatabase = (SELECT oid FROM here)),
                   (SELECT l.value FROM layered l WHERE l.name = s.name AND l.rolname = r.rolname AND l.setdatabase = 0),
                   (SELECT l.value FROM layered l WHERE l.name = s.name AND l.rolname IS NULL AND l.setdatabase = (SELECT oid FROM here)),
                   CASE WHEN s.source IN ('database', 'user', 'database user') THEN s.boot_val ELSE s.reset_val END) END
        FROM roles r CROSS JOIN pg_settings s
        WHERE s.name IN ('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout')
        ORDER BY r.connecting DESC, r.rolname, s.name
        """;

    private static readonly Dictionary<string, (ReviewRule Rule, string Suggested)> Rules = new(StringComparer.Ordinal)
    {
        ["statement_timeout"] = (ReviewRules.NoStatementTimeout, "30s"),
        ["lock_timeout"] = (ReviewRules.NoLockTimeout, "5s"),
        ["idle_in_transaction_session_timeout"] = (ReviewRules.NoIdleInTransactionTimeout, "1min"),
    };

    /// <param name="roles">the application's roles (review.roles), besides the one the environment connects as.</param>
    public static async Task<IReadOnlyList<ReviewFinding>> EvaluateAsync(NpgsqlConnection connection, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.AddWithValue("roles", roles.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var findings = new List<ReviewFinding>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var (role, database, setting, value) = (reader.GetString(0), reader.GetString(2), reader.GetString(3), reader.GetString(4));
            if (!IsZero(value))
            {
                continue;
            }

            var (rule, suggested) = Rules[setting];
            findings.Add(new ReviewFinding
            {
                Rule = rule.Id, Severity = rule.DefaultSeverity, Object = $"role {IdentifierDisplay.Name(role)}",
                Why = $"{setting} is 0 (off) for {role} in {database}: {char.ToLowerInvariant(rule.Description[0])}{rule.Description[1..]}",
                Fix = $"ALTER ROLE {PgIdentifier.Quote(role)} IN DATABASE {PgIdentifier.Quote(database)} SET {setting} = '{suggested}';",
            });
        }

        return findings;
    }

    /// <summary>0 in any unit ("0", "0ms", "0s", "0min") is off.</summary>
    private static bool IsZero(string value)
    {
        var digits = value.Trim().TrimEnd('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z');
        return digits.Length > 0 && digits.All(c => c == '0');
    }
}
