using Backstop.Sql.Lexing;

namespace Backstop.Sql.Tests.Lexing;

public sealed class SqlLexerTests
{
    [Theory]
    [InlineData("'abc'", TokenKind.String)]
    [InlineData("''", TokenKind.String)]
    [InlineData("'it''s'", TokenKind.String)]
    [InlineData("''''", TokenKind.String)]
    [InlineData("'back\\slash'", TokenKind.String)]
    [InlineData("'a;b'", TokenKind.String)]
    [InlineData("'multi\nline'", TokenKind.String)]
    [InlineData("E'\\''", TokenKind.String)]
    [InlineData("E'\\\\'", TokenKind.String)]
    [InlineData("e'tab\\there'", TokenKind.String)]
    [InlineData("E'it''s'", TokenKind.String)]
    [InlineData("E'\\\\\\''", TokenKind.String)]
    [InlineData("U&'d\\0061t\\+000061'", TokenKind.String)]
    [InlineData("u&'x'", TokenKind.String)]
    [InlineData("B'1010'", TokenKind.String)]
    [InlineData("b'1'", TokenKind.String)]
    [InlineData("X'1F'", TokenKind.String)]
    [InlineData("x'ff'", TokenKind.String)]
    [InlineData("N'national'", TokenKind.String)]
    [InlineData("$$body$$", TokenKind.DollarString)]
    [InlineData("$$$$", TokenKind.DollarString)]
    [InlineData("$fn$ SELECT 'x'; $$ $fn$", TokenKind.DollarString)]
    [InlineData("$_a1$x$_a1$", TokenKind.DollarString)]
    [InlineData("$a$ $A$ $a$", TokenKind.DollarString)]
    [InlineData("\"Quoted\"", TokenKind.QuotedIdentifier)]
    [InlineData("\"say \"\"hi\"\"\"", TokenKind.QuotedIdentifier)]
    [InlineData("\"a;b\"", TokenKind.QuotedIdentifier)]
    [InlineData("U&\"d\\0061t\"", TokenKind.QuotedIdentifier)]
    [InlineData("-- comment; here", TokenKind.LineComment)]
    [InlineData("--", TokenKind.LineComment)]
    [InlineData("/* c */", TokenKind.BlockComment)]
    [InlineData("/**/", TokenKind.BlockComment)]
    [InlineData("/* outer /* inner; */ still outer */", TokenKind.BlockComment)]
    [InlineData("/* -- not a line comment */", TokenKind.BlockComment)]
    [InlineData("42", TokenKind.Number)]
    [InlineData("3.5", TokenKind.Number)]
    [InlineData("1.5e10", TokenKind.Number)]
    [InlineData("1E-3", TokenKind.Number)]
    [InlineData("2.e+4", TokenKind.Number)]
    [InlineData(".5", TokenKind.Number)]
    [InlineData("5.", TokenKind.Number)]
    [InlineData("0x1F", TokenKind.Number)]
    [InlineData("0o17", TokenKind.Number)]
    [InlineData("0b101", TokenKind.Number)]
    [InlineData("1_000", TokenKind.Number)]
    [InlineData("1_000.000_1", TokenKind.Number)]
    [InlineData("$1", TokenKind.Parameter)]
    [InlineData("$12", TokenKind.Parameter)]
    [InlineData(":name", TokenKind.PsqlVariable)]
    [InlineData(":'name'", TokenKind.PsqlVariable)]
    [InlineData(":\"name\"", TokenKind.PsqlVariable)]
    [InlineData(":_x1", TokenKind.PsqlVariable)]
    [InlineData("::", TokenKind.Cast)]
    [InlineData(":", TokenKind.Colon)]
    [InlineData("select", TokenKind.Identifier)]
    [InlineData("_x$1", TokenKind.Identifier)]
    [InlineData("über", TokenKind.Identifier)]
    [InlineData("e", TokenKind.Identifier)]
    [InlineData("u", TokenKind.Identifier)]
    [InlineData(" \t\r\n\f", TokenKind.Whitespace)]
    [InlineData(";", TokenKind.Semicolon)]
    [InlineData(",", TokenKind.Comma)]
    [InlineData(".", TokenKind.Dot)]
    [InlineData("(", TokenKind.LeftParenthesis)]
    [InlineData(")", TokenKind.RightParenthesis)]
    [InlineData("[", TokenKind.LeftBracket)]
    [InlineData("]", TokenKind.RightBracket)]
    [InlineData("<=", TokenKind.Operator)]
    [InlineData(">=", TokenKind.Operator)]
    [InlineData("<>", TokenKind.Operator)]
    [InlineData("!=", TokenKind.Operator)]
    [InlineData("->>", TokenKind.Operator)]
    [InlineData("#>>", TokenKind.Operator)]
    [InlineData("@>", TokenKind.Operator)]
    [InlineData("<@", TokenKind.Operator)]
    [InlineData("||", TokenKind.Operator)]
    [InlineData("=>", TokenKind.Operator)]
    [InlineData(":=", TokenKind.Operator)]
    [InlineData("@-", TokenKind.Operator)]
    [InlineData("\\", TokenKind.PsqlMetaCommand)]
    [InlineData("\\gset", TokenKind.PsqlMetaCommand)]
    [InlineData("\\copy t from stdin", TokenKind.PsqlMetaCommand)]
    public void Tokenize_single_construct_is_one_token_of_its_kind(string source, TokenKind expected)
    {
        var tokens = SqlLexer.Tokenize(source);

        var token = Assert.Single(tokens);
        Assert.Equal(new Token(expected, 0, source.Length), token);
    }

    public static TheoryData<string, string[]> Sequences => new()
    {
        { "a::int", ["Identifier a", "Cast ::", "Identifier int"] },
        { "a[1:2]", ["Identifier a", "LeftBracket [", "Number 1", "Colon :", "Number 2", "RightBracket ]"] },
        { "x:=1", ["Identifier x", "Operator :=", "Number 1"] },
        { "'a'\n'b'", ["String 'a'", "Whitespace \n", "String 'b'"] },
        { "a=-1", ["Identifier a", "Operator =", "Operator -", "Number 1"] },
        { "a<-1", ["Identifier a", "Operator <", "Operator -", "Number 1"] },
        { "1--c\n2", ["Number 1", "LineComment --c", "Whitespace \n", "Number 2"] },
        { "a+/*c*/b", ["Identifier a", "Operator +", "BlockComment /*c*/", "Identifier b"] },
        { "1..10", ["Number 1", "Operator ..", "Number 10"] },
        { "s.t", ["Identifier s", "Dot .", "Identifier t"] },
        { "$1::text", ["Parameter $1", "Cast ::", "Identifier text"] },
        { "U&'\\0041' UESCAPE '!'", ["String U&'\\0041'", "Whitespace  ", "Identifier UESCAPE", "Whitespace  ", "String '!'"] },
        { "e.x", ["Identifier e", "Dot .", "Identifier x"] },
        { "where:'v'", ["Identifier where", "PsqlVariable :'v'"] },
        { "$a$x$a$$b$y$b$", ["DollarString $a$x$a$", "DollarString $b$y$b$"] },
        { "line1 -- c\r\nline2", ["Identifier line1", "Whitespace  ", "LineComment -- c", "Whitespace \r\n", "Identifier line2"] },
        { "SELECT $fn$ a $fnx$ b $fn$;", ["Identifier SELECT", "Whitespace  ", "DollarString $fn$ a $fnx$ b $fn$", "Semicolon ;"] },
    };

    [Theory]
    [MemberData(nameof(Sequences))]
    public void Tokenize_mixed_input_yields_exact_kinds_and_texts(string source, string[] expected)
    {
        var tokens = SqlLexer.Tokenize(source);

        var actual = tokens.Select(t => $"{t.Kind} {source.Substring(t.Start, t.Length)}").ToArray();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Tokenize_realistic_statement_covers_input_exactly()
    {
        const string source = "UPDATE \"Orders\" o SET note = E'it\\'s' || $$x;y$$ /* c */ WHERE o.id = ANY($1) -- done\n;";

        var tokens = SqlLexer.Tokenize(source);

        var offset = 0;
        foreach (var token in tokens)
        {
            Assert.Equal(offset, token.Start);
            offset = token.End;
        }

        Assert.Equal(source.Length, offset);
    }

    [Fact]
    public void Tokenize_empty_input_returns_no_tokens()
    {
        Assert.Empty(SqlLexer.Tokenize(""));
    }
}
