using System.Text;
using Backstop.Postgres;
using Npgsql;

namespace Backstop.Recovery.Pitr.RecoverDatabase;

/// <summary>
/// What a database is besides its contents, which a dump without <c>--create</c> leaves out: owner, encoding and
/// locale, tablespace, connection limit, whether it is a template or takes connections, its settings
/// (<c>ALTER DATABASE … SET</c>, <c>ALTER ROLE … IN DATABASE … SET</c>), its privileges and its comment (docs: "CREATE
/// DATABASE", "pg_database", "pg_db_role_setting"). Read from the clone, they are given to the database put back.
/// </summary>
internal sealed record DatabaseProperties
{
    /// <summary>Settings whose value is a list, stored with its elements quoted as identifiers (guc.h GUC_LIST_QUOTE).</summary>
    private static readonly HashSet<string> ListSettings = new(StringComparer.OrdinalIgnoreCase)
    {
        "search_path", "temp_tablespaces", "session_preload_libraries", "local_preload_libraries", "shared_preload_libraries",
    };

    public required string Owner { get; init; }

    public required string Encoding { get; init; }

    public required string Collate { get; init; }

    public required string CType { get; init; }

    /// <summary><c>icu</c> or <c>libc</c>.</summary>
    public required string LocaleProvider { get; init; }

    public string? IcuLocale { get; init; }

    public required string Tablespace { get; init; }

    public required int ConnectionLimit { get; init; }

    public required bool AllowConnections { get; init; }

    public required bool IsTemplate { get; init; }

    /// <summary>Each setting as stored, <c>name=value</c>, with the role it is for (null: everyone).</summary>
    public required IReadOnlyList<(string? Role, string Setting)> Settings { get; init; }

    /// <summary>Null: the default privileges (PUBLIC may connect and create temporary tables).</summary>
    public IReadOnlyList<(string? Grantee, string Privilege, bool Grantable)>? Privileges { get; init; }

    public string? Comment { get; init; }

    /// <summary>Reads the properties of <paramref name="database"/>, connected to any database of its cluster.</summary>
    public static async Task<DatabaseProperties> ReadAsync(NpgsqlConnection connection, uint database, CancellationToken cancellationToken)
    {
        // PostgreSQL 17 renamed daticulocale to datlocale.
        var locale = connection.PostgreSqlVersion.Major >= 17 ? "d.datlocale" : "d.daticulocale";
        DatabaseProperties properties;
        await using (var command = new NpgsqlCommand(
            $"""
            SELECT pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), d.datcollate, d.datctype,
                   CASE d.datlocprovider WHEN 'i' THEN 'icu' ELSE 'libc' END, {locale}, t.spcname, d.datconnlimit, d.datallowconn,
                   d.datistemplate, d.datacl IS NULL, shobj_description(d.oid, 'pg_database')
            FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace
            WHERE d.oid = $1
            """,
            connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = database, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new PitrException($"the database with OID {database} is not in the clone");
            }

            properties = new DatabaseProperties
            {
                Owner = reader.GetString(0),
                Encoding = reader.GetString(1),
                Collate = reader.GetString(2),
                CType = reader.GetString(3),
                LocaleProvider = reader.GetString(4),
                IcuLocale = reader.IsDBNull(5) ? null : reader.GetString(5),
                Tablespace = reader.GetString(6),
                ConnectionLimit = reader.GetInt32(7),
                AllowConnections = reader.GetBoolean(8),
                IsTemplate = reader.GetBoolean(9),
                Settings = [],
                Privileges = reader.GetBoolean(10) ? null : [],
                Comment = reader.IsDBNull(11) ? null : reader.GetString(11),
            };
        }

        var settings = new List<(string?, string)>();
        await using (var command = new NpgsqlCommand(
            "SELECT r.rolname, unnest(s.setconfig) FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole WHERE s.setdatabase = $1 ORDER BY 1 NULLS FIRST", connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = database, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                settings.Add((reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetString(1)));
            }
        }

        var privileges = new List<(string?, string, bool)>();
        if (properties.Privileges is not null)
        {
            await using var command = new NpgsqlCommand(
                "SELECT g.rolname, a.privilege_type, a.is_grantable FROM pg_database d, aclexplode(d.datacl) a LEFT JOIN pg_roles g ON g.oid = a.grantee WHERE d.oid = $1", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = database, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                privileges.Add((reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetString(1), reader.GetBoolean(2)));
            }
        }

        return properties with { Settings = settings, Privileges = properties.Privileges is null ? null : privileges };
    }

    /// <summary>CREATE DATABASE with what can only be chosen at creation (from template0, so that any encoding and locale are allowed).</summary>
    public string CreateStatement(string name)
    {
        var sql = new StringBuilder($"CREATE DATABASE {PgIdentifier.Quote(name)} WITH TEMPLATE template0 OWNER {PgIdentifier.Quote(Owner)}");
        sql.Append($" ENCODING {PgLiteral.Quote(Encoding)} LOCALE_PROVIDER {LocaleProvider} LC_COLLATE {PgLiteral.Quote(Collate)} LC_CTYPE {PgLiteral.Quote(CType)}");
        if (IcuLocale is not null)
        {
            sql.Append($" ICU_LOCALE {PgLiteral.Quote(IcuLocale)}");
        }

        sql.Append($" TABLESPACE {PgIdentifier.Quote(Tablespace)}");
        return sql.ToString();
    }

    /// <summary>The rest, once the database has its name: limits, flags, settings, privileges and comment.</summary>
    public IReadOnlyList<string> AlterStatements(string name)
    {
        var database = PgIdentifier.Quote(name);
        var statements = new List<string>();
        if (ConnectionLimit != -1)
        {
            statements.Add($"ALTER DATABASE {database} CONNECTION LIMIT {ConnectionLimit}");
        }

        foreach (var (role, setting) in Settings)
        {
            var equals = setting.IndexOf('=', StringComparison.Ordinal);
            var (parameter, value) = (setting[..equals], setting[(equals + 1)..]);
            var target = role is null ? $"ALTER DATABASE {database}" : $"ALTER ROLE {PgIdentifier.Quote(role)} IN DATABASE {database}";
            statements.Add($"{target} SET {PgIdentifier.Quote(parameter)} TO {Value(parameter, value)}");
        }

        if (Privileges is not null)
        {
            statements.Add($"REVOKE ALL ON DATABASE {database} FROM PUBLIC");
            statements.Add($"REVOKE ALL ON DATABASE {database} FROM {PgIdentifier.Quote(Owner)}");
            foreach (var (grantee, privilege, grantable) in Privileges)
            {
                statements.Add($"GRANT {privilege} ON DATABASE {database} TO {(grantee is null ? "PUBLIC" : PgIdentifier.Quote(grantee))}{(grantable ? " WITH GRANT OPTION" : "")}");
            }
        }

        if (Comment is not null)
        {
            statements.Add($"COMMENT ON DATABASE {database} IS {PgLiteral.Quote(Comment)}");
        }

        if (!AllowConnections)
        {
            statements.Add($"ALTER DATABASE {database} ALLOW_CONNECTIONS false");
        }

        if (IsTemplate)
        {
            statements.Add($"ALTER DATABASE {database} IS_TEMPLATE true");
        }

        return statements;
    }

    /// <summary>
    /// A stored value as SET takes it: one literal, or for a list setting one literal per element, unquoted as
    /// pg_dump's SplitGUCList does (elements are separated by commas, and may be double-quoted identifiers).
    /// </summary>
    internal static string Value(string parameter, string value)
    {
        if (!ListSettings.Contains(parameter))
        {
            return PgLiteral.Quote(value);
        }

        var elements = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < value.Length && value[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                elements.Add(current.ToString().Trim());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        elements.Add(current.ToString().Trim());
        return string.Join(", ", elements.Select(PgLiteral.Quote));
    }
}
