using Backstop.Sql.Lexing;

namespace Backstop.Sql.Classification;

/// <summary>SELECT (and VALUES, TABLE), INSERT, UPDATE, DELETE and MERGE; WITH lives in <see cref="CommonTableExpressions"/>.</summary>
internal static class DmlClassifier
{
    public static StatementInfo Insert(in TokenCursor cursor, int start)
    {
        var i = start + 1;
        var target = cursor.IsWord(i, "INTO") ? ReadTarget(cursor, i + 1, allowOnly: false) : null;
        return Write(StatementKind.Insert, target, default, isDml: false);
    }

    public static StatementInfo Update(in TokenCursor cursor, int start)
    {
        var i = start + 1;
        var target = RelationNameReader.Read(cursor, ref i, allowOnly: true, allowAlias: true);
        return Write(StatementKind.Update, target, WhereClause.Find(cursor, i), isDml: true);
    }

    public static StatementInfo Delete(in TokenCursor cursor, int start)
    {
        var i = start + 1;
        RelationName? target = null;
        if (cursor.IsWord(i, "FROM"))
        {
            i++;
            target = RelationNameReader.Read(cursor, ref i, allowOnly: true, allowAlias: true);
        }

        return Write(StatementKind.Delete, target, WhereClause.Find(cursor, i), isDml: true);
    }

    public static StatementInfo Merge(in TokenCursor cursor, int start)
    {
        var target = cursor.IsWord(start + 1, "INTO") ? ReadTarget(cursor, start + 2, allowOnly: true) : null;
        return Write(StatementKind.Merge, target, default, isDml: false);
    }

    /// <summary>
    /// A query. <c>SELECT ... INTO new_table</c> creates a table (docs: SELECT INTO), so it is a Create. Otherwise the
    /// targets are, best effort, the relations named in the top-level FROM and JOINs. Row locks (FOR UPDATE) stay reads.
    /// </summary>
    public static StatementInfo Select(in TokenCursor cursor, int start)
    {
        if (cursor.IsWord(start, "TABLE"))
        {
            var i = start + 1;
            var table = RelationNameReader.Read(cursor, ref i, allowOnly: true, allowAlias: false);
            return new StatementInfo { Kind = StatementKind.Select, Targets = table is null ? [] : [table] };
        }

        var into = cursor.FindTopLevelWord(start, "INTO");
        if (into >= 0)
        {
            return SelectInto(cursor, into + 1);
        }

        return new StatementInfo { Kind = StatementKind.Select, Targets = FromRelations(cursor, start) };
    }

    private static StatementInfo SelectInto(in TokenCursor cursor, int i)
    {
        while (cursor.IsWord(i, "TEMP") || cursor.IsWord(i, "TEMPORARY") || cursor.IsWord(i, "UNLOGGED") || cursor.IsWord(i, "TABLE"))
        {
            i++;
        }

        var table = RelationNameReader.Read(cursor, ref i, allowOnly: false, allowAlias: false);
        return new StatementInfo { Kind = StatementKind.Create, ObjectType = "TABLE", Targets = table is null ? [] : [table], IsWrite = true };
    }

    private static List<RelationName> FromRelations(in TokenCursor cursor, int start)
    {
        var relations = new List<RelationName>();
        var from = cursor.FindTopLevelWord(start, "FROM");
        if (from < 0)
        {
            return relations;
        }

        var expectRelation = true;
        var i = from + 1;
        while (i < cursor.End)
        {
            var kind = cursor.Kind(i);
            if (kind is TokenKind.LeftParenthesis or TokenKind.LeftBracket)
            {
                i = cursor.SkipGroup(i);
                expectRelation = false;
                continue;
            }

            if (kind == TokenKind.Comma || cursor.IsWord(i, "JOIN"))
            {
                expectRelation = true;
                i++;
                continue;
            }

            if (cursor.IsWord(i, "WHERE") || cursor.IsWord(i, "GROUP") || cursor.IsWord(i, "ORDER") || cursor.IsWord(i, "UNION")
                || cursor.IsWord(i, "LIMIT") || cursor.IsWord(i, "FOR") || cursor.IsWord(i, "HAVING") || cursor.IsWord(i, "WINDOW")
                || cursor.IsWord(i, "EXCEPT") || cursor.IsWord(i, "INTERSECT") || cursor.IsWord(i, "OFFSET") || cursor.IsWord(i, "FETCH"))
            {
                break;
            }

            if (expectRelation && !cursor.IsWord(i, "LATERAL"))
            {
                var next = i;
                var relation = RelationNameReader.Read(cursor, ref next, allowOnly: true, allowAlias: true);
                expectRelation = false;
                if (relation is not null && !IsFunctionCall(cursor, i))
                {
                    relations.Add(relation);
                    i = next;
                    continue;
                }
            }

            i++;
        }

        return relations;
    }

    /// <summary><c>generate_series(1, 3) g</c> in FROM is a function, not a relation.</summary>
    private static bool IsFunctionCall(in TokenCursor cursor, int i)
    {
        if (cursor.IsWord(i, "ONLY"))
        {
            i++;
        }

        i++;
        while (cursor.Is(i, TokenKind.Dot))
        {
            i += 2;
        }

        return cursor.Is(i, TokenKind.LeftParenthesis);
    }

    private static RelationName? ReadTarget(in TokenCursor cursor, int i, bool allowOnly) =>
        RelationNameReader.Read(cursor, ref i, allowOnly, allowAlias: true);

    private static StatementInfo Write(StatementKind kind, RelationName? target, WhereClause where, bool isDml) => new()
    {
        Kind = kind,
        Targets = target is null ? [] : [target],
        HasWhere = where.Present,
        WhereIsTriviallyTrue = where.TriviallyTrue,
        AffectsAllRows = isDml && where.AffectsAllRows,
        IsWrite = true,
    };
}
