namespace Backstop.Sql.Classification;

/// <summary>What an UPDATE's or DELETE's own WHERE says about the rows it reaches.</summary>
internal readonly record struct WhereClause(bool Present, bool TriviallyTrue)
{
    public bool AffectsAllRows => !Present || TriviallyTrue;

    /// <summary>
    /// Finds the WHERE at the statement's own level, from <paramref name="from"/> to the cursor's end: a WHERE inside
    /// parentheses (a subquery in SET, FROM or USING) belongs to another query. The condition runs to RETURNING.
    /// </summary>
    public static WhereClause Find(in TokenCursor cursor, int from)
    {
        var where = cursor.FindTopLevelWord(from, "WHERE");
        if (where < 0)
        {
            return new WhereClause(false, false);
        }

        // WHERE CURRENT OF names one row of a cursor (docs: UPDATE, "cursor_name").
        if (cursor.IsWord(where + 1, "CURRENT") && cursor.IsWord(where + 2, "OF"))
        {
            return new WhereClause(true, false);
        }

        var end = cursor.FindTopLevelWord(where + 1, "RETURNING");
        var condition = cursor.WithEnd(end < 0 ? cursor.End : end);
        var truth = ConstantCondition.Evaluate(condition, where + 1, condition.End);
        return new WhereClause(true, truth == ConstantCondition.Truth.True);
    }
}
