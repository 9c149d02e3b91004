using Backstop.Postgres;
using Backstop.Sql;

namespace Backstop.Core.Review;

/// <summary>A table as the review sees it (pg_class relkind r or p, not a partition).</summary>
/// <param name="Rows">pg_class.reltuples: the planner's estimate; negative when the table was never vacuumed or analyzed.</param>
/// <param name="HasKey">a primary key, or a valid unique index on NOT NULL plain columns without a predicate.</param>
/// <param name="DeleteTriggers">its user triggers that fire on DELETE (pg_trigger.tgtype has TRIGGER_TYPE_DELETE).</param>
public sealed record SchemaTable(uint Oid, string Schema, string Name, double Rows, bool HasKey, IReadOnlyList<string> DeleteTriggers, string Owner)
{
    public string Display => IdentifierDisplay.Qualified(Schema, Name);

    public string Quoted => PgIdentifier.Quote(Schema, Name);

    public bool HasStatistics => Rows >= 0;
}
