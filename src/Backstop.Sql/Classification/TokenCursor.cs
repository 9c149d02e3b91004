using Backstop.Sql.Lexing;

namespace Backstop.Sql.Classification;

/// <summary>
/// Read-only access to a statement's significant tokens up to <see cref="End"/> (exclusive), so that a CTE body
/// or an EXPLAINed statement can be classified as a range of its parent without copying. Indexes are absolute.
/// Every accessor tolerates out-of-range indexes, which is how the classifier never throws on odd input.
/// </summary>
internal readonly struct TokenCursor
{
    private readonly ArraySegment<Token> _tokens;

    public TokenCursor(string source, ArraySegment<Token> tokens, int end)
    {
        Source = source;
        _tokens = tokens;
        End = Math.Min(end, tokens.Count);
    }

    public string Source { get; }

    public int End { get; }

    public TokenCursor WithEnd(int end) => new(Source, _tokens, end);

    public bool Has(int index) => (uint)index < (uint)End;

    public TokenKind Kind(int index) => Has(index) ? _tokens[index].Kind : TokenKind.Whitespace;

    public bool Is(int index, TokenKind kind) => Has(index) && _tokens[index].Kind == kind;

    public Token Token(int index) => _tokens[index];

    public ReadOnlySpan<char> Text(int index) =>
        Has(index) ? Source.AsSpan(_tokens[index].Start, _tokens[index].Length) : [];

    /// <summary>A bare word equal to <paramref name="keyword"/>; quoted identifiers never match keywords.</summary>
    public bool IsWord(int index, string keyword) =>
        Has(index)
        && _tokens[index].Kind == TokenKind.Identifier
        && _tokens[index].Length == keyword.Length
        && Source.AsSpan(_tokens[index].Start, keyword.Length).Equals(keyword, StringComparison.OrdinalIgnoreCase);

    public bool IsName(int index) => Kind(index) is TokenKind.Identifier or TokenKind.QuotedIdentifier;

    public bool IsOperator(int index, string text) =>
        Is(index, TokenKind.Operator) && Text(index).SequenceEqual(text);

    /// <summary>Skips <c>IF EXISTS</c> or <c>IF NOT EXISTS</c>.</summary>
    public int SkipIfExists(int index)
    {
        if (!IsWord(index, "IF"))
        {
            return index;
        }

        index++;
        if (IsWord(index, "NOT"))
        {
            index++;
        }

        return IsWord(index, "EXISTS") ? index + 1 : index;
    }

    /// <summary>From an opening parenthesis or bracket, the index just past its match (or <see cref="End"/>).</summary>
    public int SkipGroup(int index)
    {
        var depth = 0;
        for (var i = index; i < End; i++)
        {
            switch (_tokens[i].Kind)
            {
                case TokenKind.LeftParenthesis or TokenKind.LeftBracket:
                    depth++;
                    break;
                case TokenKind.RightParenthesis or TokenKind.RightBracket:
                    if (--depth <= 0)
                    {
                        return i + 1;
                    }

                    break;
            }
        }

        return End;
    }

    /// <summary>The next index at or after <paramref name="from"/> holding <paramref name="keyword"/> outside any parentheses, or -1.</summary>
    public int FindTopLevelWord(int from, string keyword)
    {
        var depth = 0;
        for (var i = from; i < End; i++)
        {
            var kind = _tokens[i].Kind;
            if (kind is TokenKind.LeftParenthesis or TokenKind.LeftBracket)
            {
                depth++;
            }
            else if (kind is TokenKind.RightParenthesis or TokenKind.RightBracket)
            {
                depth--;
            }
            else if (depth == 0 && IsWord(i, keyword))
            {
                return i;
            }
        }

        return -1;
    }
}
