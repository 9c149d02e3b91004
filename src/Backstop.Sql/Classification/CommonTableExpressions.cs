using Backstop.Sql.Lexing;

namespace Backstop.Sql.Classification;

/// <summary>
/// <c>WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (body) [, ...] statement</c> (docs: 7.8). A body that
/// writes (7.8.4, data-modifying statements in WITH) makes the whole statement that write, whatever the main query is.
/// </summary>
internal static class CommonTableExpressions
{
    public static StatementInfo Classify(in TokenCursor cursor, int start)
    {
        var i = start + 1;
        if (cursor.IsWord(i, "RECURSIVE"))
        {
            i++;
        }

        List<StatementInfo>? writes = null;
        while (cursor.IsName(i))
        {
            i++;
            if (cursor.Is(i, TokenKind.LeftParenthesis))
            {
                i = cursor.SkipGroup(i);
            }

            if (!cursor.IsWord(i, "AS"))
            {
                return StatementClassifier.Unclassified;
            }

            i++;
            if (cursor.IsWord(i, "NOT"))
            {
                i++;
            }

            if (cursor.IsWord(i, "MATERIALIZED"))
            {
                i++;
            }

            if (!cursor.Is(i, TokenKind.LeftParenthesis))
            {
                return StatementClassifier.Unclassified;
            }

            var close = cursor.SkipGroup(i);
            var body = StatementClassifier.ClassifyRange(cursor.WithEnd(close - 1), i + 1);
            if (body.IsWrite)
            {
                (writes ??= []).Add(body);
            }

            i = SkipSearchAndCycle(cursor, close);
            if (!cursor.Is(i, TokenKind.Comma))
            {
                break;
            }

            i++;
        }

        var main = StatementClassifier.ClassifyRange(cursor, i);
        return writes is null ? main : Combine(writes, main);
    }

    /// <summary><c>SEARCH ... SET col</c> and <c>CYCLE ... [TO v DEFAULT d] USING col</c> follow a recursive body (docs: 7.8.2.1–2).</summary>
    private static int SkipSearchAndCycle(in TokenCursor cursor, int i)
    {
        while (cursor.IsWord(i, "SEARCH") || cursor.IsWord(i, "CYCLE"))
        {
            var closing = cursor.IsWord(i, "SEARCH") ? "SET" : "USING";
            var at = cursor.FindTopLevelWord(i + 1, closing);
            if (at < 0)
            {
                return cursor.End;
            }

            i = at + 2;
        }

        return i;
    }

    /// <summary>
    /// The riskiest part names the statement: DELETE, then UPDATE, MERGE, INSERT, then a main statement that writes.
    /// Every write's targets are kept (the winner's first), and the statement affects all rows if any part does.
    /// </summary>
    private static StatementInfo Combine(List<StatementInfo> writes, StatementInfo main)
    {
        if (main.IsWrite)
        {
            writes.Add(main);
        }

        var winner = writes[0];
        var affectsAllRows = false;
        var allowedInTransaction = true;
        var targetCount = 0;
        foreach (var part in writes)
        {
            if (Rank(part.Kind) > Rank(winner.Kind))
            {
                winner = part;
            }

            affectsAllRows |= part.AffectsAllRows;
            allowedInTransaction &= part.AllowedInTransaction;
            targetCount += part.Targets.Count;
        }

        var targets = new List<RelationName>(targetCount);
        targets.AddRange(winner.Targets);
        foreach (var part in writes)
        {
            if (!ReferenceEquals(part, winner))
            {
                targets.AddRange(part.Targets);
            }
        }

        return winner with
        {
            Targets = targets,
            AffectsAllRows = affectsAllRows,
            AllowedInTransaction = allowedInTransaction,
            HasDataModifyingCte = true,
            IsWrite = true,
        };
    }

    private static int Rank(StatementKind kind) => kind switch
    {
        StatementKind.Delete => 4,
        StatementKind.Update => 3,
        StatementKind.Merge => 2,
        StatementKind.Insert => 1,
        _ => 0,
    };
}
