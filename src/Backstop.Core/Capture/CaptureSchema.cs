using System.Globalization;
using Backstop.Core.Migrations;
using Npgsql;

namespace Backstop.Core.Capture;

/// <summary>
/// The <c>backstop</c> schema in a target database (DESIGN.md, D3): the change log (the source of truth for what
/// committed), the tables each change captured, and the trigger functions that copy transition tables into per-change
/// image tables. Its DDL is the numbered migrations in <c>Capture/Migrations</c>, and its version is the highest one
/// recorded in <c>backstop.schema_version</c>.
/// </summary>
/// <remarks>
/// Releases before the version table named their format in the schema's comment ("… (format 4)"); formats 1 to 4
/// all become version 4 (the first migration, which runs everything those releases ran). The comment still names the
/// version after every migration, because those releases read it: one of them refuses a schema whose comment names a
/// format above its own, instead of running its older DDL over it.
/// </remarks>
internal static class CaptureSchema
{
    public const string Name = "backstop";

    private const string CommentPrefix = "Backstop: change log and before-images (format ";

    /// <summary>The lock that releases before the version table took around their DDL; migrations take it too.</summary>
    private const string LockName = "backstop capture schema";

    private static readonly PostgresMigrator Migrator = new(Name, LockName, MigrationScripts.Load("capture", first: 4), LegacyVersionAsync);

    public static IReadOnlyList<Migration> Migrations => Migrator.Migrations;

    public static int Version => Migrator.Latest;

    /// <summary>The N of "(format N)" in the schema's comment; null for a schema without one (not created yet, or format 1).</summary>
    internal static int? FormatOf(string? comment)
    {
        const string prefix = "(format ";
        var start = comment?.LastIndexOf(prefix, StringComparison.Ordinal) ?? -1;
        if (start < 0)
        {
            return null;
        }

        var digits = comment![(start + prefix.Length)..].TrimEnd(')');
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var format) ? format : null;
    }

    /// <summary>
    /// Creates the schema, or migrates it to <see cref="Version"/>, before a change that captures begins. Each
    /// migration commits on its own, so the connection must not be inside a transaction; inside one that someone else
    /// owns (a client's, through the proxy), call this on a connection of its own. Reads the version and returns when
    /// there is nothing to do: DDL, even DDL that changes nothing, would lock the change log and serialize changes.
    /// </summary>
    /// <param name="notice">told when an existing schema was migrated (a line for the user).</param>
    /// <exception cref="CaptureSchemaTooNewException">the schema was migrated by a newer Backstop; it is left as it is.</exception>
    /// <exception cref="CapturePrivilegeException">the role may not create the schema.</exception>
    public static async Task EnsureAsync(NpgsqlConnection connection, Action<string>? notice, CancellationToken cancellationToken)
    {
        try
        {
            var (from, to) = await Migrator.MigrateAsync(connection, found => TooNew(connection.Database, found), Comment, cancellationToken);
            if (from > 0 && from != to)
            {
                notice?.Invoke($"migrated the backstop schema of database {connection.Database} from version {from} to {to}");
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            await using var who = new NpgsqlCommand("SELECT current_user", connection);
            throw CapturePrivilegeException.ForSchema((string)(await who.ExecuteScalarAsync(cancellationToken))!, connection.Database, e);
        }
    }

    /// <summary>
    /// Inside the change's transaction: holds off migrations until it ends, and checks that the schema is the one this
    /// Backstop captures into (a newer Backstop may have migrated it since <see cref="EnsureAsync"/>).
    /// </summary>
    /// <exception cref="CaptureSchemaTooNewException">the schema is now at a newer version.</exception>
    public static async Task HoldAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var version = await Migrator.HoldAsync(connection, cancellationToken);
        if (version > Version)
        {
            throw TooNew(connection.Database, version);
        }

        if (version < Version)
        {
            throw new InvalidOperationException($"the backstop schema of database {connection.Database} is at version {version}, below {Version}: EnsureAsync must run before capture begins");
        }
    }

    private static CaptureSchemaTooNewException TooNew(string database, int version) => new(
        $"the backstop schema of database {database} is at version {version}, migrated by a newer Backstop than this one " +
        $"(which knows versions up to {Version}); nothing was changed. Upgrade Backstop on this machine");

    private static string Comment(int version) =>
        $"COMMENT ON SCHEMA backstop IS '{CommentPrefix}{version.ToString(CultureInfo.InvariantCulture)})'";

    /// <summary>
    /// A schema without the version table: none (0), or one of the releases that named their format in its comment; a
    /// schema without a comment is format 1.
    /// </summary>
    private static async Task<int> LegacyVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT to_regnamespace('backstop') IS NOT NULL, obj_description(to_regnamespace('backstop'), 'pg_namespace')", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        if (!reader.GetBoolean(0))
        {
            return 0;
        }

        return FormatOf(reader.IsDBNull(1) ? null : reader.GetString(1)) ?? 1;
    }
}
