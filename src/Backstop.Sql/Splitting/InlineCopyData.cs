using Backstop.Sql.Lexing;

namespace Backstop.Sql.Splitting;

/// <summary>
/// psql's inline COPY data: after <c>COPY … FROM STDIN</c> (or <c>\copy … from stdin</c>) psql reads the script's next lines
/// as rows, up to a line that is exactly <c>\.</c> (docs: psql, "\copy"; COPY, "File Formats").
/// </summary>
internal static class InlineCopyData
{
    /// <summary>A statement that starts with COPY and reads <c>FROM STDIN</c>.</summary>
    public static bool IsCopyFromStdin(string source, ArraySegment<Token> tokens)
    {
        if (tokens.Count < 3 || !IsWord(source, tokens[0], "COPY"))
        {
            return false;
        }

        for (var i = 1; i + 1 < tokens.Count; i++)
        {
            if (IsWord(source, tokens[i], "FROM") && IsWord(source, tokens[i + 1], "STDIN"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>\copy … from stdin</c>; <c>pstdin</c> reads psql's own standard input, not the script.</summary>
    public static bool IsCopyMetaCommandFromStdin(ReadOnlySpan<char> command)
    {
        if (!command.StartsWith("\\copy", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var from = command.IndexOf(" from ", StringComparison.OrdinalIgnoreCase);
        return from >= 0 && command[(from + " from ".Length)..].TrimStart().StartsWith("stdin", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Where the data that starts at <paramref name="start"/> ends: after its <c>\.</c> line, or at the end of the script.</summary>
    public static int End(string source, int start)
    {
        var lineStart = source.IndexOf('\n', start);
        while (lineStart >= 0)
        {
            lineStart++;
            var lineEnd = source.IndexOf('\n', lineStart);
            var line = source.AsSpan(lineStart, (lineEnd < 0 ? source.Length : lineEnd) - lineStart).TrimEnd('\r');
            if (line.SequenceEqual("\\."))
            {
                return lineEnd < 0 ? source.Length : lineEnd;
            }

            lineStart = lineEnd;
        }

        return source.Length;
    }

    private static bool IsWord(string source, Token token, string word) =>
        token.Kind == TokenKind.Identifier && source.AsSpan(token.Start, token.Length).Equals(word, StringComparison.OrdinalIgnoreCase);
}
