using Backstop.Sql.Lexing;

namespace Backstop.Sql.Classification;

/// <summary><c>DROP type [CONCURRENTLY] [IF EXISTS] name [, ...] [CASCADE | RESTRICT]</c> and DROP OWNED.</summary>
internal static class DropClassifier
{
    public static StatementInfo Classify(in TokenCursor cursor, int start)
    {
        var i = start + 1;
        var type = ObjectTypeReader.Read(cursor, ref i);
        var kind = KindOf(type);
        var allowed = true;
        if (cursor.IsWord(i, "CONCURRENTLY"))
        {
            // DROP INDEX CONCURRENTLY cannot run in a transaction block (docs: DROP INDEX).
            allowed = false;
            i++;
        }

        i = cursor.SkipIfExists(i);
        if (type is "DATABASE" or "TABLESPACE" or "SUBSCRIPTION")
        {
            // DROP DATABASE and DROP TABLESPACE refuse a transaction block; so does DROP SUBSCRIPTION with a slot.
            allowed = false;
        }

        return new StatementInfo
        {
            Kind = kind,
            ObjectType = type is "USER" or "GROUP" ? "ROLE" : type,
            Targets = type is "OWNED" ? [] : Names(cursor, i, onTable: type is "TRIGGER" or "RULE" or "POLICY"),
            Cascade = cursor.FindTopLevelWord(i, "CASCADE") >= 0,
            AllowedInTransaction = allowed,
            IsWrite = true,
        };
    }

    private static StatementKind KindOf(string? type) => type switch
    {
        "TABLE" => StatementKind.DropTable,
        "SCHEMA" => StatementKind.DropSchema,
        "DATABASE" => StatementKind.DropDatabase,
        "INDEX" => StatementKind.DropIndex,
        "VIEW" => StatementKind.DropView,
        "MATERIALIZED VIEW" => StatementKind.DropMaterializedView,
        "SEQUENCE" => StatementKind.DropSequence,
        "FUNCTION" => StatementKind.DropFunction,
        "PROCEDURE" => StatementKind.DropProcedure,
        "TRIGGER" => StatementKind.DropTrigger,
        "TYPE" => StatementKind.DropType,
        "EXTENSION" => StatementKind.DropExtension,
        "ROLE" or "USER" or "GROUP" => StatementKind.DropRole,
        _ => StatementKind.DropOther,
    };

    /// <summary>
    /// The dropped names; argument lists (<c>DROP FUNCTION f(int)</c>) are skipped. For a trigger, rule or policy
    /// (<c>DROP TRIGGER name ON table</c>) the target is the table it belongs to.
    /// </summary>
    private static List<RelationName> Names(in TokenCursor cursor, int i, bool onTable)
    {
        var names = new List<RelationName>(1);
        if (onTable)
        {
            var at = cursor.FindTopLevelWord(i, "ON") + 1;
            var table = at == 0 ? null : RelationNameReader.Read(cursor, ref at, allowOnly: false, allowAlias: false);
            if (table is not null)
            {
                names.Add(table);
            }

            return names;
        }

        while (RelationNameReader.Read(cursor, ref i, allowOnly: false, allowAlias: false) is { } name)
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
