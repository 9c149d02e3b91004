using Backstop.Sql.Classification;
using Backstop.Sql.Splitting;

namespace Backstop.Core.Changes;

/// <summary>
/// Refuses what would make the server run other text than the statement Backstop judged: psql's own commands and inline
/// COPY data, which psql handles itself and which would otherwise be glued into a statement, and changes to the settings
/// that decide how the server reads later statements.
/// </summary>
internal static class PsqlOnlySyntax
{
    public static void Refuse(AnalyzedStatement item)
    {
        if (PsqlMetaCommands.FindFirst(item.Statement) is var (name, position))
        {
            throw new ScriptRejectedException(
                $"statement {item.Index + 1} at {item.Location} contains the psql meta-command {name} (line {position.Line}, column {position.Column}); " +
                "only psql runs backslash commands, and Backstop sends each statement to the server as written, so remove it from the script " +
                "(run psql-only steps such as \\c, \\set or \\copy with psql itself)");
        }

        if (item.Statement.InlineCopyData is { } data)
        {
            throw new ScriptRejectedException(
                $"statement {item.Index + 1} at {item.Location} is COPY … FROM STDIN followed by inline data (line {data.Start.Line} to line {data.End.Line}), " +
                "which only psql sends; load the rows with INSERT statements or COPY from a server-side file");
        }
    }

    public static void RefuseLexicalSettingChange(AnalyzedStatement item)
    {
        if (LexicalSettings.FindChange(item.Statement) is not { } change)
        {
            return;
        }

        var why = change.Setting == LexicalSettings.StandardConformingStrings
            ? "Backstop's sessions run with standard_conforming_strings = on and read every statement that way; with it off, a backslash in '…' escapes the quote, " +
              "so the server would read later statements differently from how Backstop judged them. Remove the change, and write backslash escapes as E'…'"
            : "Backstop's sessions send the script as UTF-8; another client_encoding would make the server read later statements' bytes differently from how Backstop judged them. " +
              "Remove the change, and save the script as UTF-8";
        throw new ScriptRejectedException(
            $"statement {item.Index + 1} at {item.Location} changes {change.Setting} ({change.How} at line {change.Position.Line}, column {change.Position.Column}); {why}");
    }
}
