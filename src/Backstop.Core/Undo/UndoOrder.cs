namespace Backstop.Core.Undo;

/// <summary>
/// The order in which undo writes a change's tables: rows come back into parents before children (a child's row
/// needs its parent's), and rows go out of children before parents (read the order backwards).
/// </summary>
/// <remarks>
/// <para>Tables are placed in rounds: each round takes, in the given order, every table whose parents were all placed in
/// earlier rounds. The given order therefore settles every choice the foreign keys leave open, and the result is the
/// same for the same input.</para>
/// <para>A self-reference (employees.manager_id → employees.id) puts no table before another: a table's rows come back
/// in one statement, and PostgreSQL checks a foreign key at the end of the statement, so a manager and the employees
/// under them come back together.</para>
/// <para>A cycle (a → b → a) has no parents-first order. When a round finds no table whose parents are all placed,
/// every table left is placed as given, the cycle's tables and their children alike. Undo then relies on PostgreSQL:
/// deferred foreign keys (DEFERRABLE INITIALLY DEFERRED) are checked at commit, when every row is back; immediate
/// ones fail the statement that inserts the first row of the cycle, and the whole undo rolls back, changing nothing.</para>
/// </remarks>
internal static class UndoOrder
{
    /// <param name="tables">the tables, distinct, in the order that settles ties (undo passes them by schema and name).</param>
    /// <param name="foreignKeys">each foreign key as the table that has it and the table it points at; keys from or to
    /// a table not in <paramref name="tables"/>, and self-references, are left out.</param>
    /// <exception cref="ArgumentException">a table is given twice.</exception>
    public static IReadOnlyList<T> ParentsFirst<T>(IReadOnlyList<T> tables, IEnumerable<(T Child, T Parent)> foreignKeys)
        where T : notnull
    {
        var parents = tables.ToDictionary(t => t, _ => new HashSet<T>());
        foreach (var (child, parent) in foreignKeys)
        {
            if (!EqualityComparer<T>.Default.Equals(child, parent) && parents.TryGetValue(child, out var ofChild) && parents.ContainsKey(parent))
            {
                ofChild.Add(parent);
            }
        }

        var ordered = new List<T>(tables.Count);
        var placed = new HashSet<T>();
        while (ordered.Count < tables.Count)
        {
            var round = tables.Where(t => !placed.Contains(t) && parents[t].All(placed.Contains)).ToList();
            if (round.Count == 0)
            {
                round = tables.Where(t => !placed.Contains(t)).ToList();
            }

            ordered.AddRange(round);
            placed.UnionWith(round);
        }

        return ordered;
    }
}
