using Backstop.Sql.Lexing;
using Backstop.Sql.Splitting;
using FsCheck;
using FsCheck.Fluent;

namespace Backstop.Sql.Tests.Splitting;

public sealed class SqlSplitterPropertyTests
{
    private static readonly string[] Fragments =
    [
        "SELECT", "UPDATE t SET a = 1", "WHERE", "x", "\"Q;d\"", "\"a\"\"b\"", "'semi;colon'", "'it''s'", "E'\\';'",
        "E'\\\\'", "U&'a;'", "$$a;b$$", "$fn$ x; $$ ; $fn$", "-- line ; comment\n", "/* a ; /* nested ; */ */", ";", ";",
        "\n", "\r\n", "\n\n", " ", "\t", "(", ")", "1.5e10", "$1", ":v", "::", ",", "BEGIN", "ATOMIC", "END", "CASE",
        "CREATE FUNCTION f() BEGIN ATOMIC", "é", "𝄞",
    ];

    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(500);

    [Fact]
    public void Split_random_fragment_scripts_extents_tile_the_input()
    {
        var scripts = Gen.Elements(Fragments).ListOf().Select(parts => string.Concat(parts)).ToArbitrary();

        Check.One(Runs, Prop.ForAll(scripts, ExtentsTileAndTextsMatch));
    }

    [Fact]
    public void Tokenize_random_ascii_covers_input_or_throws_syntax_error()
    {
        var asciiChars = Gen.OneOf(Gen.Choose(0, 127), Gen.Elements((int)'\'', '"', '$', '-', '/', '*', ';', ':', 'E', '&'))
            .Select(c => (char)c);
        var inputs = asciiChars.ArrayOf().Select(chars => new string(chars)).ToArbitrary();

        Check.One(Runs, Prop.ForAll(inputs, TokensCoverOrThrow));
    }

    private static bool ExtentsTileAndTextsMatch(string source)
    {
        SqlScript script;
        try
        {
            script = SqlSplitter.Split(source);
        }
        catch (SqlSyntaxException)
        {
            // A fragment mix such as "CREATE FUNCTION" + "$fn$" halves can legitimately be unterminated; nothing to check.
            return true;
        }

        var offset = 0;
        foreach (var statement in script.Statements)
        {
            if (statement.Extent.Start.Offset != offset
                || statement.Text != source.Substring(statement.Span.Start.Offset, statement.Span.Length)
                || statement.Span.Start.Offset < statement.Extent.Start.Offset
                || statement.Span.End.Offset > statement.Extent.End.Offset
                || !HasConsistentLineAndColumn(source, statement.Span.Start))
            {
                return false;
            }

            offset = statement.Extent.End.Offset;
        }

        return script.TrailingExtent.Start.Offset == offset && script.TrailingExtent.End.Offset == source.Length;
    }

    private static bool HasConsistentLineAndColumn(string source, SourcePosition position)
    {
        var before = source.AsSpan(0, position.Offset);
        var lineStart = before.LastIndexOf('\n') + 1;
        return position.Line == before.Count('\n') + 1 && position.Column == position.Offset - lineStart + 1;
    }

    private static bool TokensCoverOrThrow(string source)
    {
        IReadOnlyList<Token> tokens;
        try
        {
            tokens = SqlLexer.Tokenize(source);
        }
        catch (SqlSyntaxException)
        {
            return true;
        }

        var offset = 0;
        foreach (var token in tokens)
        {
            if (token.Start != offset || token.Length <= 0)
            {
                return false;
            }

            offset = token.End;
        }

        return offset == source.Length;
    }
}
