using Backstop.Sql.Lexing;

namespace Backstop.Sql.Splitting;

/// <summary>Splits at top-level semicolons only: never at blank lines, never inside literals, comments, parentheses or BEGIN ATOMIC bodies.</summary>
/// <remarks>
/// Extents tile the script: each statement's extent runs from the end of the previous one (so it starts with any
/// leading trivia and empty statements such as <c>;;</c>) through its closing <c>;</c>. A last statement without
/// <c>;</c> ends at its last token; whatever follows it is <see cref="SqlScript.TrailingExtent"/>.
/// </remarks>
public static class SqlSplitter
{
    /// <summary>
    /// Statements' tokens are slices of shared chunks this long (192 KB, so on the large object heap): a big script's
    /// tokens then cost no copying in gen0/gen1 collections, which otherwise dominated splitting time.
    /// </summary>
    private const int TokenChunkLength = 16_384;

    /// <exception cref="SqlSyntaxException">the script cannot be lexed.</exception>
    public static SqlScript Split(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            return SplitTokens(source);
        }
        catch (TokenTooLongException e)
        {
            throw e.WithPosition(source);
        }
    }

    private static SqlScript SplitTokens(string source)
    {

        var statements = new List<SqlStatement>();
        var positions = new SourcePositionTracker(source);
        var atomicBody = default(AtomicBodyTracker);

        // Significant tokens go straight into the current chunk; the running statement's tokens are
        // chunk[first..used). Only a statement that outgrows its chunk is ever copied.
        // A text has no more tokens than characters: a short statement (the proxy splits one per message) gets a short
        // chunk instead of 192 KB.
        var chunk = new Token[Math.Min(TokenChunkLength, source.Length)];
        var first = 0;
        var used = 0;
        var extentStart = 0;
        var offset = 0;
        var depth = 0;
        SourceSpan? inlineData = null;
        while (offset < source.Length)
        {
            var token = TokenScanner.Scan(source, offset);
            offset = token.End;
            if (token.IsTrivia)
            {
                continue;
            }

            // psql's \copy … FROM STDIN reads the lines after it as data; they are not SQL and must not be lexed as such.
            if (token.Kind == TokenKind.PsqlMetaCommand && InlineCopyData.IsCopyMetaCommandFromStdin(source.AsSpan(token.Start, token.Length)))
            {
                var dataEnd = InlineCopyData.End(source, offset);
                inlineData ??= new SourceSpan(positions.At(offset), positions.At(dataEnd));
                offset = dataEnd;
            }

            // Like psql, a ';' inside parentheses (CREATE RULE … DO ALSO (NOTIFY a; NOTIFY b)) is not top level.
            if (token.Kind == TokenKind.LeftParenthesis)
            {
                depth++;
            }
            else if (token.Kind == TokenKind.RightParenthesis && depth > 0)
            {
                depth--;
            }

            if (token.Kind == TokenKind.Semicolon && depth == 0 && !atomicBody.InsideBody)
            {
                if (used > first)
                {
                    var tokens = new ArraySegment<Token>(chunk, first, used - first);
                    var statement = CreateStatement(source, statements.Count, tokens, extentStart, token.End, inlineData, ref positions);

                    // After COPY … FROM STDIN, psql sends the following lines, up to a line \., as the data.
                    if (InlineCopyData.IsCopyFromStdin(source, tokens))
                    {
                        var dataEnd = InlineCopyData.End(source, offset);
                        statement = statement with { InlineCopyData = inlineData ?? new SourceSpan(positions.At(offset), positions.At(dataEnd)) };
                        offset = dataEnd;
                    }

                    statements.Add(statement);
                    extentStart = token.End;
                    first = used;
                    inlineData = null;
                    atomicBody.Reset();
                }

                continue;
            }

            if (used == chunk.Length)
            {
                var running = used - first;
                var larger = new Token[Math.Max(TokenChunkLength, running * 2)];
                Array.Copy(chunk, first, larger, 0, running);
                chunk = larger;
                first = 0;
                used = running;
            }

            chunk[used++] = token;
            atomicBody.Observe(source, token);
        }

        if (used > first)
        {
            var end = chunk[used - 1].End;
            statements.Add(CreateStatement(source, statements.Count, new ArraySegment<Token>(chunk, first, used - first), extentStart, end, inlineData, ref positions));
            extentStart = end;
        }

        var trailing = new SourceSpan(positions.At(extentStart), positions.At(source.Length));
        return new SqlScript(source, statements, trailing);
    }

    private static SqlStatement CreateStatement(
        string source,
        int index,
        ArraySegment<Token> tokens,
        int extentStart,
        int extentEnd,
        SourceSpan? inlineData,
        ref SourcePositionTracker positions)
    {
        var extentStartPosition = positions.At(extentStart);
        var textStartPosition = positions.At(tokens[0].Start);
        var textEndPosition = positions.At(tokens[^1].End);
        return new SqlStatement
        {
            Index = index,
            Span = new SourceSpan(textStartPosition, textEndPosition),
            Extent = new SourceSpan(extentStartPosition, positions.At(extentEnd)),
            Tokens = tokens,
            Source = source,
            InlineCopyData = inlineData,
        };
    }
}
