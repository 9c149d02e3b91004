using Backstop.Core.RecycleBin;
using Backstop.Postgres;
using Npgsql;

namespace Backstop.Core.Capture;

/// <summary>
/// The CREATE statement of an enum type or a domain, built from the catalog (pg_enum; pg_type and pg_constraint), so
/// that undo can create it again after a DROP TYPE / DROP DOMAIN … CASCADE took columns with it.
/// </summary>
internal static class TypeDefinition
{
    /// <exception cref="RecycleBinException">a type Backstop cannot re-create (composite, range, base).</exception>
    public static async Task<string> ReadAsync(NpgsqlConnection connection, uint typeId, CancellationToken cancellationToken)
    {
        string schema, name, kind, baseType;
        bool notNull;
        string? defaultValue;
        await using (var describe = new NpgsqlCommand(
            "SELECT n.nspname, t.typname, t.typtype::text, format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = @type", connection))
        {
            describe.Parameters.Add(new NpgsqlParameter("type", NpgsqlTypes.NpgsqlDbType.Oid) { Value = typeId });
            await using var reader = await describe.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (schema, name, kind, baseType, notNull) = (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetBoolean(4));
            defaultValue = reader.IsDBNull(5) ? null : reader.GetString(5);
        }

        var qualified = PgIdentifier.Quote(schema, name);
        if (kind == "e")
        {
            await using var labels = new NpgsqlCommand("SELECT string_agg(quote_literal(enumlabel), ', ' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = @type", connection);
            labels.Parameters.Add(new NpgsqlParameter("type", NpgsqlTypes.NpgsqlDbType.Oid) { Value = typeId });
            return $"CREATE TYPE {qualified} AS ENUM ({await labels.ExecuteScalarAsync(cancellationToken)})";
        }

        if (kind != "d")
        {
            throw new RecycleBinException(
                $"the type {schema}.{name} (typtype {kind}) takes columns with it, and Backstop can re-create only enum types and domains, so their values could not be brought back; nothing was changed. Drop the columns in statements of their own first");
        }

        // The base type, default and constraints are PostgreSQL's own text for them (format_type, typdefault, pg_get_constraintdef).
        var definition = $"CREATE DOMAIN {qualified} AS {baseType}";
        if (defaultValue is not null)
        {
            definition += $" DEFAULT {defaultValue}";
        }

        if (notNull)
        {
            definition += " NOT NULL";
        }

        await using var constraints = new NpgsqlCommand("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contypid = @type AND contype = 'c' ORDER BY conname", connection);
        constraints.Parameters.Add(new NpgsqlParameter("type", NpgsqlTypes.NpgsqlDbType.Oid) { Value = typeId });
        await using var rows = await constraints.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken))
        {
            definition += $" CONSTRAINT {PgIdentifier.Quote(rows.GetString(0))} {rows.GetString(1)}";
        }

        return definition;
    }
}
