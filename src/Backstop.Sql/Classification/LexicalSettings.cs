using Backstop.Sql.Lexing;
using Backstop.Sql.Splitting;

namespace Backstop.Sql.Classification;

/// <summary>
/// The settings that decide how the server reads the text of later statements, which Backstop's lexer must agree with:
/// <c>standard_conforming_strings</c> (off makes a backslash escape a quote in <c>'…'</c>, docs: 4.1.2.2) and
/// <c>client_encoding</c> (in SJIS, BIG5, GBK, GB18030 or UHC a backslash byte can be the second byte of a character).
/// <c>backslash_quote</c> and <c>escape_string_warning</c> only decide whether the server refuses or warns, never where a
/// literal ends, so they are not here.
/// </summary>
public static class LexicalSettings
{
    public const string StandardConformingStrings = "standard_conforming_strings";

    public const string ClientEncoding = "client_encoding";

    /// <summary>
    /// The first place where the statement's text changes one of these settings: <c>SET [SESSION|LOCAL] name</c>,
    /// <c>SET NAMES</c>, <c>RESET name</c>, <c>ALTER … SET|RESET name</c>, <c>CREATE FUNCTION … SET name</c>, or the name as a
    /// string constant (<c>set_config('name', …)</c>, <c>UPDATE pg_settings … WHERE name = 'name'</c>); null when none.
    /// A name built at run time (<c>'standard_' || 'conforming_strings'</c>) is not seen here: the session checks the
    /// settings after each statement as well.
    /// </summary>
    public static LexicalSettingChange? FindChange(SqlStatement statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var tokens = statement.Tokens;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (IsWord(statement, token, "SET") || IsWord(statement, token, "RESET"))
            {
                var nameIndex = i + 1;
                if (nameIndex < tokens.Count && (IsWord(statement, tokens[nameIndex], "SESSION") || IsWord(statement, tokens[nameIndex], "LOCAL")))
                {
                    nameIndex++;
                }

                if (nameIndex >= tokens.Count)
                {
                    continue;
                }

                var name = tokens[nameIndex];
                if (IsWord(statement, token, "SET") && IsWord(statement, name, "NAMES"))
                {
                    return new LexicalSettingChange(ClientEncoding, statement.PositionOf(token), "SET NAMES");
                }

                if (SettingNamed(statement, name) is { } setting)
                {
                    return new LexicalSettingChange(setting, statement.PositionOf(token), $"{statement.TokenText(token)} {setting}");
                }
            }
            else if (token.Kind == TokenKind.String && SettingInLiteral(statement, token) is { } named && !IsReadOfSetting(statement, i))
            {
                return new LexicalSettingChange(named, statement.PositionOf(token), $"the name '{named}' as a value (set_config, pg_settings)");
            }
        }

        return null;
    }

    private static string? SettingNamed(SqlStatement statement, Token token)
    {
        var text = statement.TokenText(token);
        if (token.Kind == TokenKind.QuotedIdentifier && text.Length >= 2 && text[0] == '"')
        {
            text = text[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal);
        }
        else if (token.Kind != TokenKind.Identifier)
        {
            return null;
        }

        return Match(text);
    }

    /// <summary>A plain or E'' string whose value is a setting's name; GUC names compare without regard to case (guc.c).</summary>
    private static string? SettingInLiteral(SqlStatement statement, Token token)
    {
        var text = statement.TokenText(token);
        var body = text.Length >= 3 && text[0] is 'e' or 'E' && text[1] == '\'' ? text[2..^1]
            : text.Length >= 2 && text[0] == '\'' ? text[1..^1]
            : null;
        return body is null ? null : Match(body.Trim());
    }

    private static string? Match(string name) =>
        name.Equals(StandardConformingStrings, StringComparison.OrdinalIgnoreCase) ? StandardConformingStrings
        : name.Equals(ClientEncoding, StringComparison.OrdinalIgnoreCase) ? ClientEncoding
        : null;

    /// <summary><c>current_setting('name')</c> only reads the setting.</summary>
    private static bool IsReadOfSetting(SqlStatement statement, int literalIndex) =>
        literalIndex >= 2
        && statement.Tokens[literalIndex - 1].Kind == TokenKind.LeftParenthesis
        && IsWord(statement, statement.Tokens[literalIndex - 2], "current_setting");

    private static bool IsWord(SqlStatement statement, Token token, string word) =>
        token.Kind == TokenKind.Identifier
        && token.Length == word.Length
        && statement.Source.AsSpan(token.Start, token.Length).Equals(word, StringComparison.OrdinalIgnoreCase);
}
