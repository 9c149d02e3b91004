using Backstop.Sql;

namespace Backstop.Core.Review;

/// <summary>A foreign key (pg_constraint contype f) with the statistics of its referencing columns (pg_stats).</summary>
/// <param name="OnDelete">pg_constraint.confdeltype: a no action, r restrict, c cascade, n set null, d set default.</param>
/// <param name="Indexed">a valid, non-partial index on the child has the key's columns as its leading key columns, in any order.</param>
/// <param name="NullFraction">the largest pg_stats.null_frac of its columns; 0 without statistics.</param>
/// <param name="Distinct">the number of distinct values (pg_stats.n_distinct made absolute), largest of its columns; null without statistics.</param>
/// <param name="MaxFrequency">the frequency of the most common value (max of pg_stats.most_common_freqs), smallest of its columns; null when no column has a most-common list.</param>
public sealed record SchemaForeignKey(
    uint Oid, string Name, uint Child, uint Parent, char OnDelete, IReadOnlyList<string> Columns, bool Indexed, bool Validated,
    double NullFraction, double? Distinct, double? MaxFrequency)
{
    public bool Reaches => OnDelete is 'c' or 'n' or 'd';

    public bool Removes => OnDelete == 'c';

    public string Action => OnDelete switch
    {
        'c' => "CASCADE",
        'n' => "SET NULL",
        'd' => "SET DEFAULT",
        'r' => "RESTRICT",
        _ => "NO ACTION",
    };

    public string Display(SchemaTable child) => child.Display + "." + IdentifierDisplay.Name(Name);
}
