namespace Backstop.Recovery.Snapshots;

/// <summary>A foreign key: <see cref="Columns"/> of the child reference <see cref="ParentColumns"/> of the parent, pairwise (pg_constraint, contype 'f').</summary>
public sealed record ForeignKey(string Name, string Child, IReadOnlyList<string> Columns, string Parent, IReadOnlyList<string> ParentColumns)
{
    public bool IsSelfReference => Child == Parent;
}
