using Backstop.Postgres;
using Backstop.Sql;
using Npgsql;

namespace Backstop.Core.Review;

/// <summary>Privileges that turn one mistake, or one compromised application, into an incident.</summary>
internal static class PrivilegeRules
{
    // aclexplode's grantee 0 is PUBLIC (docs: "System Information Functions", aclexplode).
    private const string PublicGrantsSql = $"""
        SELECT n.nspname::text, c.relname::text, array_agg(DISTINCT a.privilege_type ORDER BY a.privilege_type)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.grantee = 0 AND {SchemaCatalog.UserSchemas}
        GROUP BY 1, 2 ORDER BY 1, 2
        """;

    private const string RoleSql = $"""
        SELECT r.rolname::text, r.rolsuper, r.rolbypassrls,
               array(SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE c.relowner = r.oid AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND {SchemaCatalog.UserSchemas} ORDER BY 1)
               , r.rolname = current_user
        FROM pg_roles r WHERE r.rolname = current_user OR r.rolname = ANY(@roles)
        ORDER BY r.rolname = current_user DESC, r.rolname
        """;

    private const string SecurityDefinerSql = $"""
        SELECT n.nspname::text, p.proname::text, pg_get_function_identity_arguments(p.oid)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE p.prosecdef AND {SchemaCatalog.UserSchemas}
          AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) s WHERE s LIKE 'search\_path=%')
        ORDER BY 1, 2, 3
        """;

    private static readonly string[] WritePrivileges = ["INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES"];

    /// <param name="roles">the application's roles (review.roles), besides the one the environment connects as.</param>
    public static async Task<IReadOnlyList<ReviewFinding>> EvaluateAsync(NpgsqlConnection connection, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        var findings = new List<ReviewFinding>();
        await using (var command = new NpgsqlCommand(PublicGrantsSql, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var (schema, name, privileges) = (reader.GetString(0), reader.GetString(1), reader.GetFieldValue<string[]>(2));
                var writes = privileges.Intersect(WritePrivileges, StringComparer.Ordinal).Any();
                findings.Add(new ReviewFinding
                {
                    Rule = ReviewRules.PublicTableGrant.Id,
                    Severity = writes ? ReviewSeverity.High : ReviewSeverity.Medium,
                    Object = IdentifierDisplay.Qualified(schema, name),
                    Why = $"PUBLIC, that is every role including ones created later, has {string.Join(", ", privileges)} on {IdentifierDisplay.Qualified(schema, name)}.",
                    Fix = $"REVOKE ALL ON TABLE {PgIdentifier.Quote(schema, name)} FROM PUBLIC;",
                });
            }
        }

        await using (var command = new NpgsqlCommand(RoleSql, connection) { Parameters = { new("roles", roles.ToArray()) } })
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var role = reader.GetString(0);
                var owned = reader.GetFieldValue<string[]>(3);
                var subject = $"role {IdentifierDisplay.Name(role)}";
                var who = reader.GetBoolean(4) ? $"{role}, the role the environment connects as," : $"{role}, an application role (review.roles),";
                if (reader.GetBoolean(1))
                {
                    findings.Add(new ReviewFinding
                    {
                        Rule = ReviewRules.RoleIsSuperuser.Id, Severity = ReviewSeverity.High, Object = subject,
                        Why = $"{who} is a superuser: no privilege, row security policy or ownership stops a mistake made through it.",
                        Fix = $"ALTER ROLE {PgIdentifier.Quote(role)} NOSUPERUSER;  -- after granting it what the application needs",
                    });
                }

                if (reader.GetBoolean(2))
                {
                    findings.Add(new ReviewFinding
                    {
                        Rule = ReviewRules.RoleBypassesRls.Id, Severity = ReviewSeverity.High, Object = subject,
                        Why = $"{who} has BYPASSRLS: row-level security policies do not apply to it.",
                        Fix = $"ALTER ROLE {PgIdentifier.Quote(role)} NOBYPASSRLS;",
                    });
                }

                if (owned.Length > 0)
                {
                    var examples = string.Join(", ", owned.Take(5)) + (owned.Length > 5 ? $" and {owned.Length - 5} more" : "");
                    findings.Add(new ReviewFinding
                    {
                        Rule = ReviewRules.RoleOwnsTables.Id, Severity = ReviewSeverity.Medium, Object = subject,
                        Why = $"{who} owns {owned.Length} table{(owned.Length == 1 ? "" : "s")} ({examples}) and so may drop, truncate or alter them whatever is granted.",
                        Fix = $"ALTER TABLE {owned[0]} OWNER TO schema_owner;  -- a role that only migrations use; repeat per table",
                    });
                }
            }
        }

        await using (var command = new NpgsqlCommand(SecurityDefinerSql, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var (schema, name, arguments) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
                findings.Add(new ReviewFinding
                {
                    Rule = ReviewRules.SecurityDefinerSearchPath.Id, Severity = ReviewSeverity.High,
                    Object = $"{IdentifierDisplay.Qualified(schema, name)}({arguments})",
                    Why = $"{IdentifierDisplay.Qualified(schema, name)} runs with its owner's privileges but finds tables, functions and operators through the caller's search_path, so a caller can put its own objects first (docs: CREATE FUNCTION, \"Writing SECURITY DEFINER Functions Safely\").",
                    // The argument list is PostgreSQL's own rendering (pg_get_function_identity_arguments), quoted as needed.
                    Fix = $"ALTER FUNCTION {PgIdentifier.Quote(schema, name)}({arguments}) SET search_path = pg_catalog, pg_temp;",
                });
            }
        }

        return findings;
    }
}
