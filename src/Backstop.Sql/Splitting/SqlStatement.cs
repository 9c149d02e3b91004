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

    public string TokenText(Token token) => Source.Substring(token.Start, token.Length);
}
