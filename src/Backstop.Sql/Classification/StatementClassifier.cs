using Backstop.Sql.Lexing;
using Backstop.Sql.Splitting;

namespace Backstop.Sql.Classification;

/// <summary>Classifies a statement from its tokens. Pure and allocation-light; never throws on odd input (returns <see cref="StatementKind.Unclassified"/>).</summary>
public static class StatementClassifier
{
    /// <summary>What an unknown statement is taken to be: a write, so that policy fails closed (DESIGN D1).</summary>
    internal static readonly StatementInfo Unclassified = new() { Kind = StatementKind.Unclassified, IsWrite = true };

    public static StatementInfo Classify(SqlStatement statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var tokens = statement.Tokens switch
        {
            ArraySegment<Token> segment => segment,
            Token[] array => new ArraySegment<Token>(array),
            var other => new ArraySegment<Token>([.. other]),
        };
        var cursor = new TokenCursor(statement.Source, tokens, tokens.Count);
        StatementInfo info;
        try
        {
            info = ClassifyRange(cursor, 0);
        }
        catch (Exception error) when (error is IndexOutOfRangeException or ArgumentException or InvalidOperationException)
        {
            // The readers check bounds, but a classifier that guards a production database must not be the thing that crashes.
            info = Unclassified;
        }

        // A call no rollback takes back makes any statement a write that a preview must not run (D10).
        if (info.ExternalEffect is null && IrreversibleCalls.Find(statement.Tokens, statement.Source, info.Kind == StatementKind.Do) is { } irreversible)
        {
            info = info with { ExternalEffect = irreversible, IsWrite = true };
        }

        if (RiskyForms.Locking(cursor, info) is { } locking)
        {
            info = info with { Lock = locking };
        }

        if (RiskyForms.Privilege(cursor) is { } privilege)
        {
            info = info with { Privilege = privilege };
        }

        var variables = PsqlVariables(cursor);
        return variables is null ? info : info with { PsqlVariables = variables };
    }

    /// <summary>Classifies the statement that starts at <paramref name="start"/> and runs to the cursor's end.</summary>
    internal static StatementInfo ClassifyRange(in TokenCursor cursor, int start)
    {
        if (cursor.Is(start, TokenKind.LeftParenthesis))
        {
            return ClassifyParenthesizedQuery(cursor, start);
        }

        if (!cursor.Is(start, TokenKind.Identifier))
        {
            return Unclassified;
        }

        var c = cursor;
        return char.ToUpperInvariant(c.Text(start)[0]) switch
        {
            'S' when c.IsWord(start, "SELECT") => DmlClassifier.Select(c, start),
            'S' when c.IsWord(start, "SET") => Simple(StatementKind.Set, isWrite: false),
            'S' when c.IsWord(start, "SHOW") => Simple(StatementKind.Show, isWrite: false),
            'S' when c.IsWord(start, "START") || c.IsWord(start, "SAVEPOINT") => Simple(StatementKind.TransactionControl, isWrite: false),
            'S' when c.IsWord(start, "SECURITY") => UtilityClassifier.Other("SECURITY LABEL", [], isWrite: true, allowedInTransaction: true),
            'U' when c.IsWord(start, "UPDATE") => DmlClassifier.Update(c, start),
            'U' when c.IsWord(start, "UNLISTEN") => UtilityClassifier.Other(null, [], isWrite: false, allowedInTransaction: true),
            'I' when c.IsWord(start, "INSERT") => DmlClassifier.Insert(c, start),
            'I' when c.IsWord(start, "IMPORT") => UtilityClassifier.Other("FOREIGN SCHEMA", [], isWrite: true, allowedInTransaction: true),
            'D' when c.IsWord(start, "DELETE") => DmlClassifier.Delete(c, start),
            'D' when c.IsWord(start, "DROP") => DropClassifier.Classify(c, start),
            'D' when c.IsWord(start, "DO") => Simple(StatementKind.Do, isWrite: true),
            'D' when c.IsWord(start, "DECLARE") || c.IsWord(start, "DEALLOCATE") => UtilityClassifier.Other(null, [], isWrite: false, allowedInTransaction: true),

            // DISCARD ALL cannot run inside a transaction block (docs: DISCARD).
            'D' when c.IsWord(start, "DISCARD") => UtilityClassifier.Other(null, [], isWrite: false, allowedInTransaction: !c.IsWord(start + 1, "ALL")),
            'W' when c.IsWord(start, "WITH") => CommonTableExpressions.Classify(c, start),
            'V' when c.IsWord(start, "VALUES") => DmlClassifier.Select(c, start),
            'V' when c.IsWord(start, "VACUUM") => UtilityClassifier.Maintenance(c, start, StatementKind.Vacuum),
            'T' when c.IsWord(start, "TABLE") => DmlClassifier.Select(c, start),
            'T' when c.IsWord(start, "TRUNCATE") => DdlClassifier.Truncate(c, start),
            'M' when c.IsWord(start, "MERGE") => DmlClassifier.Merge(c, start),
            'M' when c.IsWord(start, "MOVE") => UtilityClassifier.Other(null, [], isWrite: false, allowedInTransaction: true),
            'C' when c.IsWord(start, "CREATE") => DdlClassifier.Create(c, start),
            'C' when c.IsWord(start, "COPY") => UtilityClassifier.Copy(c, start),
            'C' when c.IsWord(start, "COMMIT") => TransactionEnd(c, start),
            'C' when c.IsWord(start, "CALL") => Simple(StatementKind.Call, isWrite: true),
            'C' when c.IsWord(start, "CLUSTER") => UtilityClassifier.Cluster(c, start),
            'C' when c.IsWord(start, "COMMENT") => UtilityClassifier.NamedObject(c, start),
            'C' when c.IsWord(start, "CLOSE") || c.IsWord(start, "CHECKPOINT") => UtilityClassifier.Other(null, [], isWrite: false, allowedInTransaction: true),
            'A' when c.IsWord(start, "ALTER") => DdlClassifier.Alter(c, start),
            'A' when c.IsWord(start, "ANALYZE") || c.IsWord(start, "ANALYSE") => UtilityClassifier.Maintenance(c, start, StatementKind.Analyze),
            'A' when c.IsWord(start, "ABORT") => Simple(StatementKind.TransactionControl, isWrite: false),
            'B' when c.IsWord(start, "BEGIN") => Simple(StatementKind.TransactionControl, isWrite: false),
            'E' when c.IsWord(start, "EXPLAIN") => UtilityClassifier.Explain(c, start),
            'E' when c.IsWord(start, "END") => Simple(StatementKind.TransactionControl, isWrite: false),
            'E' when c.IsWord(start, "EXECUTE") => UtilityClassifier.Other(null, [], isWrite: true, allowedInTransaction: true),
            'R' when c.IsWord(start, "ROLLBACK") => TransactionEnd(c, start),
            'R' when c.IsWord(start, "RELEASE") => Simple(StatementKind.TransactionControl, isWrite: false),
            'R' when c.IsWord(start, "RESET") => Simple(StatementKind.Reset, isWrite: false),
            'R' when c.IsWord(start, "REVOKE") => Simple(StatementKind.Revoke, isWrite: true),
            'R' when c.IsWord(start, "REINDEX") => UtilityClassifier.Reindex(c, start),
            'R' when c.IsWord(start, "REFRESH") => UtilityClassifier.NamedObject(c, start),
            'R' when c.IsWord(start, "REASSIGN") => UtilityClassifier.Other("OWNED", [], isWrite: true, allowedInTransaction: true),
            'G' when c.IsWord(start, "GRANT") => Simple(StatementKind.Grant, isWrite: true),
            'P' when c.IsWord(start, "PREPARE") => c.IsWord(start + 1, "TRANSACTION")
                ? Simple(StatementKind.TransactionControl, isWrite: false)
                : UtilityClassifier.Other(null, [], isWrite: false, allowedInTransaction: true),
            'L' when c.IsWord(start, "LOCK") => UtilityClassifier.NamedObject(c, start),
            'L' when c.IsWord(start, "LISTEN") => UtilityClassifier.Other(null, [], isWrite: false, allowedInTransaction: true),
            'L' when c.IsWord(start, "LOAD") => UtilityClassifier.Other(null, [], isWrite: true, allowedInTransaction: true),
            'N' when c.IsWord(start, "NOTIFY") => UtilityClassifier.Other(null, [], isWrite: true, allowedInTransaction: true),
            'F' when c.IsWord(start, "FETCH") => UtilityClassifier.Other(null, [], isWrite: false, allowedInTransaction: true),
            _ => Unclassified,
        };
    }

    /// <summary><c>(SELECT ...) UNION (SELECT ...)</c>: a query if the first word inside the parentheses starts one.</summary>
    private static StatementInfo ClassifyParenthesizedQuery(in TokenCursor cursor, int start)
    {
        var i = start;
        while (cursor.Is(i, TokenKind.LeftParenthesis))
        {
            i++;
        }

        return cursor.IsWord(i, "SELECT") || cursor.IsWord(i, "VALUES") || cursor.IsWord(i, "TABLE") || cursor.IsWord(i, "WITH")
            ? new StatementInfo { Kind = StatementKind.Select }
            : Unclassified;
    }

    /// <summary>COMMIT PREPARED and ROLLBACK PREPARED cannot run inside a transaction block (docs: COMMIT PREPARED).</summary>
    private static StatementInfo TransactionEnd(in TokenCursor cursor, int start) => new()
    {
        Kind = StatementKind.TransactionControl,
        AllowedInTransaction = !cursor.IsWord(start + 1, "PREPARED"),
    };

    private static StatementInfo Simple(StatementKind kind, bool isWrite) => new() { Kind = kind, IsWrite = isWrite };

    /// <summary>Names of psql's <c>:name</c>, <c>:'name'</c> and <c>:"name"</c>; null when there are none, to spare the list.</summary>
    private static List<string>? PsqlVariables(in TokenCursor cursor)
    {
        List<string>? names = null;
        for (var i = 0; i < cursor.End; i++)
        {
            if (cursor.Is(i, TokenKind.PsqlVariable))
            {
                var text = cursor.Text(i)[1..];
                var name = text.Length > 1 && text[0] is '\'' or '"' ? text[1..^1] : text;
                (names ??= []).Add(name.ToString());
            }
        }

        return names;
    }
}
