using Backstop.Core.Snapshots;
using Backstop.Postgres;

namespace Backstop.Recovery.Snapshots;

/// <summary>A user table of the source, with its columns in <c>attnum</c> order (generated columns left out: COPY leaves them out too).</summary>
/// <param name="Bytes">pg_relation_size, to read the largest tables first.</param>
public sealed record SourceTable(string Schema, string Name, IReadOnlyList<SnapshotColumn> Columns, long Bytes = 0)
{
    public string QualifiedName => $"{Schema}.{Name}";

    public string Quoted => PgIdentifier.Quote(Schema, Name);

    public SnapshotColumn? Column(string name) => Columns.FirstOrDefault(c => c.Name == name);
}
