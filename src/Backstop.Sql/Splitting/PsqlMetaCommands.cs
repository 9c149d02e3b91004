using Backstop.Sql.Lexing;

namespace Backstop.Sql.Splitting;

/// <summary>psql's backslash commands in a statement (<c>\gset</c>, <c>\c</c>, <c>\;</c>, <c>\copy</c>, …), which only psql runs.</summary>
public static class PsqlMetaCommands
{
    /// <summary>The first meta-command of the statement, by its name (<c>\gset</c>) and where it starts; null when none.</summary>
    public static (string Name, SourcePosition Position)? FindFirst(SqlStatement statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        foreach (var token in statement.Tokens)
        {
            if (token.Kind == TokenKind.PsqlMetaCommand)
            {
                return (NameOf(statement.Source.AsSpan(token.Start, token.Length)), statement.PositionOf(token));
            }
        }

        return null;
    }

    /// <summary>The backslash and the command's name: up to the first space or the next backslash (psqlscanslash.l), at least one character.</summary>
    internal static string NameOf(ReadOnlySpan<char> command)
    {
        var end = 1;
        while (end < command.Length && !char.IsWhiteSpace(command[end]) && (command[end] != '\\' || end == 1))
        {
            end++;
        }

        return command[..end].ToString();
    }
}
