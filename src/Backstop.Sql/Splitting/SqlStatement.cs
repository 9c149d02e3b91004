using Backstop.Sql.Lexing;

namespace Backstop.Sql.Splitting;

/// <summary>One statement of a script.</summary>
public sealed record SqlStatement
{
    /// <summary>Zero-based position among the script's non-empty statements.</summary>
    public required int Index { get; init; }

    private string? _text;

    /// <summary>
    /// The exact source text from the first to the last significant token, without the closing <c>;</c>.
    /// Cut from <see cref="Source"/> on first use: splitting a large script should not copy every statement.
    /// </summary>
    public string Text => _text ??= Source.Substring(Span.Start.Offset, Span.Length);

    /// <summary>Where <see cref="Text"/> lies in the script.</summary>
    public required SourceSpan Span { get; init; }

    /// <summary>
    /// The statement's whole share of the script: leading trivia, the text, the closing <c>;</c>.
    /// The extents of all statements, plus <see cref="SqlScript.TrailingExtent"/>, cover the script exactly.
    /// </summary>
    public required SourceSpan Extent { get; init; }

    /// <summary>Significant tokens (no whitespace or comments), offsets relative to the whole script.</summary>
    public required IReadOnlyList<Token> Tokens { get; init; }

    /// <summary>The script this statement came from, to read token text.</summary>
    public required string Source { get; init; }

    /// <summary>
    /// The lines psql would send as COPY data after this statement (<c>COPY … FROM STDIN;</c> or <c>\copy … from stdin</c>),
    /// through the closing <c>\.</c> line; null when none. They are not SQL, so the splitter skips them.
    /// </summary>
    public SourceSpan? InlineCopyData { get; init; }

    public string TokenText(Token token) => Source.Substring(token.Start, token.Length);

    /// <summary>Where one of this statement's tokens starts in the script; counts only the lines of the statement itself.</summary>
    public SourcePosition PositionOf(Token token)
    {
        var start = Span.Start;
        if (token.Start <= start.Offset)
        {
            return start;
        }

        var between = Source.AsSpan(start.Offset, token.Start - start.Offset);
        var lastNewline = between.LastIndexOf('\n');
        return lastNewline < 0
            ? new SourcePosition(token.Start, start.Line, start.Column + between.Length)
            : new SourcePosition(token.Start, start.Line + between.Count('\n'), between.Length - lastNewline);
    }
}
