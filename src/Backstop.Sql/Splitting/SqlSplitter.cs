using System.Runtime.InteropServices;
using Backstop.Sql.Lexing;

namespace Backstop.Sql.Splitting;

/// <summary>Splits at top-level semicolons only: never at blank lines, never inside literals, comments or BEGIN ATOMIC bodies.</summary>
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

        var statements = new List<SqlStatement>();
        var significant = new List<Token>();
        var positions = new SourcePositionTracker(source);
        var atomicBody = default(AtomicBodyTracker);
        var chunk = new TokenChunk();
        var extentStart = 0;
        var offset = 0;
        while (offset < source.Length)
        {
            var token = TokenScanner.Scan(source, offset);
            offset = token.End;
            if (token.IsTrivia)
            {
                continue;
            }

            if (token.Kind == TokenKind.Semicolon && !atomicBody.InsideBody)
            {
                if (significant.Count > 0)
                {
                    statements.Add(CreateStatement(source, statements.Count, significant, extentStart, token.End, ref positions, ref chunk));
                    extentStart = token.End;
                    significant.Clear();
                    atomicBody.Reset();
                }

                continue;
            }

            significant.Add(token);
            atomicBody.Observe(source, token);
        }

        if (significant.Count > 0)
        {
            var end = significant[^1].End;
            statements.Add(CreateStatement(source, statements.Count, significant, extentStart, end, ref positions, ref chunk));
            extentStart = end;
        }

        var trailing = new SourceSpan(positions.At(extentStart), positions.At(source.Length));
        return new SqlScript(source, statements, trailing);
    }

    private static SqlStatement CreateStatement(
        string source,
        int index,
        List<Token> significant,
        int extentStart,
        int extentEnd,
        ref SourcePositionTracker positions,
        ref TokenChunk chunk)
    {
        var textStart = significant[0].Start;
        var textEnd = significant[^1].End;
        var extentStartPosition = positions.At(extentStart);
        var textStartPosition = positions.At(textStart);
        var textEndPosition = positions.At(textEnd);
        return new SqlStatement
        {
            Index = index,
            Span = new SourceSpan(textStartPosition, textEndPosition),
            Extent = new SourceSpan(extentStartPosition, positions.At(extentEnd)),
            Tokens = chunk.Store(CollectionsMarshal.AsSpan(significant)),
            Source = source,
        };
    }

    private struct TokenChunk
    {
        private Token[]? _array;
        private int _used;

        public ArraySegment<Token> Store(ReadOnlySpan<Token> tokens)
        {
            if (_array is null || _array.Length - _used < tokens.Length)
            {
                _array = new Token[Math.Max(TokenChunkLength, tokens.Length)];
                _used = 0;
            }

            tokens.CopyTo(_array.AsSpan(_used));
            var segment = new ArraySegment<Token>(_array, _used, tokens.Length);
            _used += tokens.Length;
            return segment;
        }
    }
}
