using Backstop.Sql;
using Backstop.Sql.Classification;
using Backstop.Sql.Splitting;

namespace Backstop.Core.Changes;

/// <summary>Split and classify a script, refusing what Backstop cannot guard before anything touches a database.</summary>
public static class ScriptAnalyzer
{
    /// <exception cref="ScriptRejectedException">a syntax error, transaction control, psql-only syntax, or no statement at all.</exception>
    public static IReadOnlyList<AnalyzedStatement> Analyze(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ScriptText.RefuseNul(text);
        SqlScript script;
        try
        {
            script = SqlSplitter.Split(text);
        }
        catch (SqlSyntaxException e)
        {
            throw new ScriptRejectedException($"{e.Reason} at line {e.Position.Line}, column {e.Position.Column}; nothing was executed");
        }

        if (script.Statements.Count == 0)
        {
            throw new ScriptRejectedException("the script has no statements");
        }

        var analyzed = new List<AnalyzedStatement>(script.Statements.Count);
        foreach (var statement in script.Statements)
        {
            var item = new AnalyzedStatement(statement, StatementClassifier.Classify(statement));
            Refuse(item);
            OwnObjects.Check(item);
            analyzed.Add(item);
        }

        return analyzed;
    }

    private static void Refuse(AnalyzedStatement item)
    {
        PsqlOnlySyntax.Refuse(item);
        var info = item.Info;
        if (info.Kind == StatementKind.TransactionControl)
        {
            throw new ScriptRejectedException(
                $"statement {item.Index + 1} at {item.Location} is transaction control ({FirstWords(item)}); Backstop runs the whole script in one transaction of its own, so remove BEGIN/COMMIT/ROLLBACK/SAVEPOINT from the script");
        }

        if (info.PsqlVariables.Count > 0)
        {
            throw new ScriptRejectedException(
                $"statement {item.Index + 1} at {item.Location} uses the psql variable :{info.PsqlVariables[0]}; only psql substitutes variables, so put the value into the script");
        }

        PsqlOnlySyntax.RefuseLexicalSettingChange(item);

        if (info.Kind is StatementKind.CopyFrom or StatementKind.CopyTo && item.Statement.Tokens.Any(t => IsWord(item, t, "STDIN") || IsWord(item, t, "STDOUT")))
        {
            throw new ScriptRejectedException(
                $"statement {item.Index + 1} at {item.Location} copies from or to the client (STDIN/STDOUT), which needs psql's data stream; use a server-side file or INSERT statements");
        }
    }

    private static bool IsWord(AnalyzedStatement item, Sql.Lexing.Token token, string word) =>
        token.Kind == Sql.Lexing.TokenKind.Identifier && item.Statement.TokenText(token).Equals(word, StringComparison.OrdinalIgnoreCase);

    /// <summary>The statement's first two tokens as written, so that names keep their case and quotes.</summary>
    public static string FirstWords(AnalyzedStatement item)
    {
        var words = item.Statement.Tokens.Take(2).Select(t => item.Statement.TokenText(t));
        return string.Join(' ', words);
    }
}
