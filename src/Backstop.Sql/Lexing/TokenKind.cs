namespace Backstop.Sql.Lexing;

public enum TokenKind
{
    Whitespace,
    /// <summary><c>-- ...</c> up to (not including) the end of the line.</summary>
    LineComment,
    /// <summary><c>/* ... */</c>, nested comments included.</summary>
    BlockComment,
    /// <summary>A bare word: a keyword or an unquoted identifier.</summary>
    Identifier,
    /// <summary><c>"..."</c> or <c>U&amp;"..."</c>.</summary>
    QuotedIdentifier,
    /// <summary><c>'...'</c>, <c>E'...'</c>, <c>U&amp;'...'</c>, <c>B'...'</c>, <c>X'...'</c>, <c>N'...'</c>.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "PostgreSQL calls these string constants; the name is part of the public contract.")]
    String,
    /// <summary><c>$$...$$</c> or <c>$tag$...$tag$</c>.</summary>
    DollarString,
    Number,
    /// <summary><c>$1</c>, <c>$2</c>, ...</summary>
    Parameter,
    /// <summary>psql's <c>:name</c>, <c>:'name'</c>, <c>:"name"</c>.</summary>
    PsqlVariable,
    Operator,
    Semicolon,
    Comma,
    Dot,
    LeftParenthesis,
    RightParenthesis,
    LeftBracket,
    RightBracket,
    /// <summary><c>::</c></summary>
    Cast,
    /// <summary><c>:</c> alone (array slices).</summary>
    Colon,
    /// <summary>
    /// A psql meta-command (<c>\gset</c>, <c>\copy …</c>, <c>\;</c>): a backslash outside any literal or comment, through the end of
    /// its line. PostgreSQL itself has no use for a bare backslash; psql runs these itself (psqlscan.l: <c>"\\"</c> ends lexing).
    /// </summary>
    PsqlMetaCommand,
}
