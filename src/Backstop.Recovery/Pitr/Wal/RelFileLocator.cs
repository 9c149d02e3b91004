using System.Globalization;
using Npgsql;

namespace Backstop.Recovery.Pitr.Wal;

/// <summary>
/// Where a relation's data lives on disk, as WAL names it: tablespace, database and file node (PostgreSQL 16 calls this
/// a RelFileLocator, 15 a RelFileNode; pg_waldump prints it as <c>rel 1663/16384/16385</c>). It is not the table's
/// OID: TRUNCATE, VACUUM FULL and CLUSTER give a table a new file node (docs: "Database File Layout").
/// </summary>
/// <param name="Tablespace">pg_tablespace OID; 1663 is pg_default, 1664 pg_global (shared catalogs, database 0).</param>
public readonly record struct RelFileLocator(uint Tablespace, uint Database, uint RelFileNode)
{
    public const uint DefaultTablespace = 1663;

    public const uint GlobalTablespace = 1664;

    /// <summary>
    /// The locator of a table (or index, sequence, materialized view) of the connected database, as it is now:
    /// <c>pg_relation_filenode()</c> (which also resolves mapped catalogs), <c>reltablespace</c> where 0 means the
    /// database's default tablespace (<c>pg_database.dattablespace</c>), and the database's OID. Null when the relation
    /// has no storage (a view, a partitioned table).
    /// </summary>
    /// <param name="relation">a name PostgreSQL resolves as regclass, e.g. <c>public.orders</c> or <c>"Order Lines"</c>.</param>
    public static async Task<RelFileLocator?> ReadAsync(NpgsqlConnection connection, string relation, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT CASE WHEN c.reltablespace = 0 THEN d.dattablespace ELSE c.reltablespace END, d.oid, pg_relation_filenode(c.oid)
            FROM pg_class c, pg_database d
            WHERE c.oid = $1::regclass AND d.datname = current_database()
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = relation });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.IsDBNull(2))
        {
            return null;
        }

        return new RelFileLocator(reader.GetFieldValue<uint>(0), reader.GetFieldValue<uint>(1), reader.GetFieldValue<uint>(2));
    }

    /// <summary>
    /// A path as WAL descriptions print one (relpathperm: <c>base/DB/REL</c>, <c>global/REL</c>,
    /// <c>pg_tblspc/SPC/PG_15_…/DB/REL</c>, with <c>_fsm</c>, <c>_vm</c> or <c>_init</c> for other forks).
    /// </summary>
    public static bool TryParsePath(string path, out RelFileLocator locator)
    {
        locator = default;
        var parts = path.Split('/');
        var last = parts[^1];
        if (last.IndexOf('_', StringComparison.Ordinal) is var fork and > 0)
        {
            last = last[..fork];
        }

        static bool Oid(string text, out uint value) => uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        switch (parts)
        {
            case ["base", var database, _] when Oid(database, out var db) && Oid(last, out var node):
                locator = new RelFileLocator(DefaultTablespace, db, node);
                return true;
            case ["global", _] when Oid(last, out var node):
                locator = new RelFileLocator(GlobalTablespace, 0, node);
                return true;
            case ["pg_tblspc", var tablespace, _, var database, _] when Oid(tablespace, out var spc) && Oid(database, out var db) && Oid(last, out var node):
                locator = new RelFileLocator(spc, db, node);
                return true;
            default:
                return false;
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Tablespace}/{Database}/{RelFileNode}");
}
