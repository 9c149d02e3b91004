using Backstop.Sql.Lexing;

namespace Backstop.Sql.Classification;

/// <summary>COPY, EXPLAIN, VACUUM, ANALYZE, REINDEX, CLUSTER, REFRESH, LOCK and COMMENT.</summary>
internal static class UtilityClassifier
{
    /// <summary>
    /// <c>COPY table [(cols)] FROM ...</c> writes; <c>COPY {table | (query)} TO ...</c> reads. TO PROGRAM runs a shell
    /// command on the server, so it counts as a write even though it changes no table (docs: COPY).
    /// </summary>
    public static StatementInfo Copy(in TokenCursor cursor, int start)
    {
        var i = start + 1;
        IReadOnlyList<RelationName> targets = [];
        if (cursor.Is(i, TokenKind.LeftParenthesis))
        {
            var close = cursor.SkipGroup(i);
            targets = StatementClassifier.ClassifyRange(cursor.WithEnd(close - 1), i + 1).Targets;
            i = close;
        }
        else if (RelationNameReader.Read(cursor, ref i, allowOnly: false, allowAlias: false) is { } table)
        {
            targets = [table];
            if (cursor.Is(i, TokenKind.LeftParenthesis))
            {
                i = cursor.SkipGroup(i);
            }
        }

        if (cursor.IsWord(i, "FROM"))
        {
            var fromProgram = cursor.IsWord(i + 1, "PROGRAM") ? "COPY … FROM PROGRAM runs a shell command on the database server" : null;
            return new StatementInfo { Kind = StatementKind.CopyFrom, Targets = targets, IsWrite = true, ExternalEffect = fromProgram };
        }

        if (!cursor.IsWord(i, "TO"))
        {
            return StatementClassifier.Unclassified;
        }

        // TO STDOUT only streams to the client; a file or a program is written on the server, outside any transaction.
        var external = cursor.IsWord(i + 1, "PROGRAM") ? "COPY … TO PROGRAM runs a shell command on the database server"
            : cursor.IsWord(i + 1, "STDOUT") ? null
            : "COPY … TO a file writes on the database server's file system";
        return new StatementInfo { Kind = StatementKind.CopyTo, Targets = targets, IsWrite = external is not null, ExternalEffect = external };
    }

    /// <summary>
    /// EXPLAIN ANALYZE runs its statement (docs: EXPLAIN, "the statement is actually executed"), so a write under it
    /// is that write. Both <c>EXPLAIN ANALYZE VERBOSE stmt</c> and <c>EXPLAIN (ANALYZE [boolean], ...) stmt</c> forms count.
    /// </summary>
    public static StatementInfo Explain(in TokenCursor cursor, int start)
    {
        var i = start + 1;
        var analyze = false;
        if (cursor.Is(i, TokenKind.LeftParenthesis))
        {
            var close = cursor.SkipGroup(i);
            for (var option = i + 1; option < close - 1; option++)
            {
                if ((cursor.IsWord(option, "ANALYZE") || cursor.IsWord(option, "ANALYSE")) && cursor.Kind(option - 1) is TokenKind.LeftParenthesis or TokenKind.Comma)
                {
                    analyze = !IsFalse(cursor, option + 1);
                }
            }

            i = close;
        }
        else
        {
            while (cursor.IsWord(i, "ANALYZE") || cursor.IsWord(i, "ANALYSE") || cursor.IsWord(i, "VERBOSE"))
            {
                analyze |= !cursor.IsWord(i, "VERBOSE");
                i++;
            }
        }

        var inner = StatementClassifier.ClassifyRange(cursor, i);
        return analyze && inner.IsWrite
            ? inner
            : new StatementInfo { Kind = StatementKind.Explain, Targets = inner.Targets };
    }

    /// <summary>VACUUM and ANALYZE: options, then an optional list of tables with column lists.</summary>
    public static StatementInfo Maintenance(in TokenCursor cursor, int start, StatementKind kind)
    {
        var i = start + 1;
        while (cursor.Is(i, TokenKind.LeftParenthesis) || cursor.IsWord(i, "FULL") || cursor.IsWord(i, "FREEZE")
            || cursor.IsWord(i, "VERBOSE") || cursor.IsWord(i, "ANALYZE") || cursor.IsWord(i, "ANALYSE"))
        {
            i = cursor.Is(i, TokenKind.LeftParenthesis) ? cursor.SkipGroup(i) : i + 1;
        }

        return new StatementInfo
        {
            Kind = kind,
            Targets = NameList(cursor, i, allowOnly: true),

            // VACUUM cannot run inside a transaction block (docs: VACUUM); ANALYZE can.
            AllowedInTransaction = kind != StatementKind.Vacuum,
            IsWrite = true,
        };
    }

    /// <summary>
    /// <c>REINDEX [(options)] {INDEX | TABLE | SCHEMA | DATABASE | SYSTEM} [CONCURRENTLY] name</c>: CONCURRENTLY and the
    /// SCHEMA, DATABASE and SYSTEM forms refuse a transaction block (docs: REINDEX).
    /// </summary>
    public static StatementInfo Reindex(in TokenCursor cursor, int start)
    {
        var i = start + 1;
        var concurrently = false;
        if (cursor.Is(i, TokenKind.LeftParenthesis))
        {
            var close = cursor.SkipGroup(i);
            concurrently = HasWordInside(cursor, i + 1, close - 1, "CONCURRENTLY");
            i = close;
        }

        var type = ObjectTypeReader.Read(cursor, ref i);
        if (cursor.IsWord(i, "CONCURRENTLY"))
        {
            concurrently = true;
            i++;
        }

        var wholeDatabase = type is "SCHEMA" or "DATABASE" or "SYSTEM";
        return Other(
            type,
            wholeDatabase ? [] : NameList(cursor, i, allowOnly: false),
            isWrite: true,
            allowedInTransaction: !concurrently && !wholeDatabase);
    }

    /// <summary>CLUSTER without a table reclusters every table and refuses a transaction block (docs: CLUSTER).</summary>
    public static StatementInfo Cluster(in TokenCursor cursor, int start)
    {
        var i = start + 1;
        while (cursor.Is(i, TokenKind.LeftParenthesis) || cursor.IsWord(i, "VERBOSE"))
        {
            i = cursor.Is(i, TokenKind.LeftParenthesis) ? cursor.SkipGroup(i) : i + 1;
        }

        var targets = NameList(cursor, i, allowOnly: false);
        if (cursor.IsWord(i + 1, "ON"))
        {
            // The pre-8.3 form CLUSTER index ON table.
            targets = NameList(cursor, i + 2, allowOnly: false);
        }

        return Other(null, targets, isWrite: true, allowedInTransaction: targets.Count > 0);
    }

    /// <summary>REFRESH MATERIALIZED VIEW [CONCURRENTLY] name, LOCK [TABLE] [ONLY] name [, ...], COMMENT ON type name.</summary>
    public static StatementInfo NamedObject(in TokenCursor cursor, int start)
    {
        var i = start + 1;
        string? type = null;
        if (cursor.IsWord(start, "LOCK"))
        {
            type = "TABLE";
            i += cursor.IsWord(i, "TABLE") ? 1 : 0;
        }
        else
        {
            i += cursor.IsWord(start, "COMMENT") && cursor.IsWord(i, "ON") ? 1 : 0;
            type = ObjectTypeReader.Read(cursor, ref i);
            i += cursor.IsWord(i, "CONCURRENTLY") ? 1 : 0;
        }

        return Other(type, NameList(cursor, i, allowOnly: true), isWrite: true, allowedInTransaction: true);
    }

    public static StatementInfo Other(string? objectType, IReadOnlyList<RelationName> targets, bool isWrite, bool allowedInTransaction) => new()
    {
        Kind = StatementKind.Other,
        ObjectType = objectType,
        Targets = targets,
        IsWrite = isWrite,
        AllowedInTransaction = allowedInTransaction,
    };

    private static bool IsFalse(in TokenCursor cursor, int index) =>
        cursor.IsWord(index, "FALSE") || cursor.IsWord(index, "OFF") || cursor.IsWord(index, "NO")
        || (cursor.Is(index, TokenKind.Number) && cursor.Text(index) is "0");

    private static bool HasWordInside(in TokenCursor cursor, int from, int to, string keyword)
    {
        for (var i = from; i < to; i++)
        {
            if (cursor.IsWord(i, keyword))
            {
                return !IsFalse(cursor, i + 1);
            }
        }

        return false;
    }

    private static List<RelationName> NameList(in TokenCursor cursor, int i, bool allowOnly)
    {
        var names = new List<RelationName>(1);
        while (RelationNameReader.Read(cursor, ref i, allowOnly, allowAlias: false) is { } name)
        {
            names.Add(name);
            if (cursor.Is(i, TokenKind.LeftParenthesis))
            {
                i = cursor.SkipGroup(i);
            }

            if (!cursor.Is(i, TokenKind.Comma))
            {
                break;
            }

            i++;
        }

        return names;
    }
}
