using Backstop.Sql.Lexing;

namespace Backstop.Sql.Classification;

/// <summary>CREATE, ALTER and TRUNCATE; DROP lives in <see cref="DropClassifier"/>.</summary>
internal static class DdlClassifier
{
    /// <summary>Relation-like objects whose name follows the type (after IF [NOT] EXISTS).</summary>
    private static readonly HashSet<string> NamedRelationTypes = new(StringComparer.Ordinal)
    {
        "TABLE", "VIEW", "MATERIALIZED VIEW", "SEQUENCE", "FOREIGN TABLE", "INDEX",
    };

    public static StatementInfo Create(in TokenCursor cursor, int start)
    {
        var i = start + 1;
        if (cursor.IsWord(i, "OR") && cursor.IsWord(i + 1, "REPLACE"))
        {
            i += 2;
        }

        while (cursor.IsWord(i, "TEMP") || cursor.IsWord(i, "TEMPORARY") || cursor.IsWord(i, "UNLOGGED") || cursor.IsWord(i, "GLOBAL")
            || cursor.IsWord(i, "LOCAL") || cursor.IsWord(i, "UNIQUE") || cursor.IsWord(i, "TRUSTED") || cursor.IsWord(i, "PROCEDURAL")
            || cursor.IsWord(i, "DEFAULT") || cursor.IsWord(i, "CONSTRAINT") || cursor.IsWord(i, "RECURSIVE"))
        {
            i++;
        }

        var type = ObjectTypeReader.Read(cursor, ref i);
        var allowed = type is not ("DATABASE" or "TABLESPACE" or "SUBSCRIPTION");
        RelationName? target = null;
        if (type == "INDEX")
        {
            // CREATE INDEX CONCURRENTLY cannot run in a transaction block (docs: CREATE INDEX, "Building Indexes Concurrently").
            allowed = !cursor.IsWord(i, "CONCURRENTLY");
            var on = cursor.FindTopLevelWord(i, "ON");
            target = on < 0 ? null : ReadName(cursor, on + 1, allowOnly: true);
        }
        else if (type is "TRIGGER" or "EVENT TRIGGER" or "RULE" or "POLICY")
        {
            var on = cursor.FindTopLevelWord(i, "ON");
            target = on < 0 || type == "EVENT TRIGGER" ? null : ReadName(cursor, on + 1, allowOnly: false);
        }
        else if (type is not null)
        {
            target = ReadName(cursor, cursor.SkipIfExists(i), allowOnly: false);
        }

        return new StatementInfo
        {
            Kind = StatementKind.Create,
            ObjectType = type,
            Targets = target is null ? [] : [target],
            AllowedInTransaction = allowed,
            IsWrite = true,
        };
    }

    public static StatementInfo Alter(in TokenCursor cursor, int start)
    {
        var i = start + 1;
        var type = ObjectTypeReader.Read(cursor, ref i);
        if (type == "TABLE")
        {
            return AlterTable(cursor, i);
        }

        RelationName? target = type is not null && NamedRelationTypes.Contains(type) ? ReadName(cursor, cursor.SkipIfExists(i), allowOnly: false) : null;
        return new StatementInfo
        {
            Kind = StatementKind.AlterOther,
            ObjectType = type,
            Targets = target is null ? [] : [target],

            // ALTER SYSTEM refuses a transaction block; ALTER SUBSCRIPTION does for some actions (REFRESH with copy_data), so all count.
            AllowedInTransaction = type is not ("SYSTEM" or "SUBSCRIPTION"),
            IsWrite = true,
        };
    }

    public static StatementInfo Truncate(in TokenCursor cursor, int start)
    {
        var i = start + 1;
        if (cursor.IsWord(i, "TABLE"))
        {
            i++;
        }

        var targets = new List<RelationName>(1);
        while (RelationNameReader.Read(cursor, ref i, allowOnly: true, allowAlias: false) is { } table)
        {
            targets.Add(table);
            if (!cursor.Is(i, TokenKind.Comma))
            {
                break;
            }

            i++;
        }

        return new StatementInfo
        {
            Kind = StatementKind.Truncate,
            Targets = targets,
            Cascade = cursor.FindTopLevelWord(i, "CASCADE") >= 0,
            IsWrite = true,
        };
    }

    /// <summary>ALTER TABLE [IF EXISTS] [ONLY] name [*] action [, ...] (docs: ALTER TABLE).</summary>
    private static StatementInfo AlterTable(in TokenCursor cursor, int i)
    {
        i = cursor.SkipIfExists(i);
        var target = RelationNameReader.Read(cursor, ref i, allowOnly: true, allowAlias: false);
        var cascade = cursor.FindTopLevelWord(i, "CASCADE") >= 0;
        var droppedColumns = new List<string>();
        var dropsColumn = false;
        var allowed = true;
        while (i < cursor.End)
        {
            if (IsDropColumn(cursor, i))
            {
                dropsColumn = true;

                // DROP [COLUMN] [IF EXISTS] name
                var name = cursor.IsWord(i + 1, "COLUMN") ? i + 2 : i + 1;
                name = cursor.IsWord(name, "IF") && cursor.IsWord(name + 1, "EXISTS") ? name + 2 : name;
                if (cursor.IsName(name))
                {
                    droppedColumns.Add(RelationNameReader.Unquote(cursor, name));
                }
            }

            // DETACH PARTITION ... CONCURRENTLY cannot run in a transaction block (docs: ALTER TABLE).
            var actionEnd = NextAction(cursor, i);
            if (cursor.IsWord(i, "DETACH") && cursor.WithEnd(actionEnd).FindTopLevelWord(i, "CONCURRENTLY") >= 0)
            {
                allowed = false;
            }

            i = actionEnd + 1;
        }

        return new StatementInfo
        {
            Kind = StatementKind.AlterTable,
            ObjectType = "TABLE",
            Targets = target is null ? [] : [target],
            DropsColumn = dropsColumn,
            DroppedColumns = droppedColumns,
            Cascade = cascade,
            AllowedInTransaction = allowed,
            IsWrite = true,
        };
    }

    /// <summary><c>DROP [COLUMN] [IF EXISTS] name</c>, but not DROP CONSTRAINT (nor the column-level DROP DEFAULT, NOT NULL, IDENTITY, EXPRESSION).</summary>
    private static bool IsDropColumn(in TokenCursor cursor, int i)
    {
        if (!cursor.IsWord(i, "DROP"))
        {
            return false;
        }

        var next = i + 1;
        if (cursor.IsWord(next, "COLUMN") || cursor.IsWord(next, "IF"))
        {
            return true;
        }

        return cursor.IsName(next)
            && !cursor.IsWord(next, "CONSTRAINT") && !cursor.IsWord(next, "DEFAULT") && !cursor.IsWord(next, "NOT")
            && !cursor.IsWord(next, "IDENTITY") && !cursor.IsWord(next, "EXPRESSION");
    }

    /// <summary>The index of the comma that ends the action starting at <paramref name="i"/>, or the end.</summary>
    private static int NextAction(in TokenCursor cursor, int i)
    {
        while (i < cursor.End && !cursor.Is(i, TokenKind.Comma))
        {
            i = cursor.Kind(i) is TokenKind.LeftParenthesis or TokenKind.LeftBracket ? cursor.SkipGroup(i) : i + 1;
        }

        return i;
    }

    private static RelationName? ReadName(in TokenCursor cursor, int i, bool allowOnly) =>
        RelationNameReader.Read(cursor, ref i, allowOnly, allowAlias: false);
}
