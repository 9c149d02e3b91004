namespace Backstop.Sql.Lexing;

/// <summary>
/// Character classes of PostgreSQL's scanner (src/backend/parser/scan.l), as one table lookup per character.
/// Every UTF-16 unit at or above 0x80 counts as an identifier character, as scan.l's <c>\200-\377</c> does for UTF-8 bytes.
/// </summary>
internal static class SqlCharClass
{
    private const byte IdentifierStartFlag = 1;
    private const byte IdentifierPartFlag = 2;
    private const byte DigitFlag = 4;
    private const byte OperatorFlag = 8;
    private const byte HexDigitFlag = 16;

    private static readonly byte[] Table = BuildTable();

    public static bool IsIdentifierStart(char c) => c >= 128 || (Table[c] & IdentifierStartFlag) != 0;

    /// <summary>scan.l's <c>ident_cont</c>: letters, digits, <c>_</c> and <c>$</c>.</summary>
    public static bool IsIdentifierPart(char c) => c >= 128 || (Table[c] & IdentifierPartFlag) != 0;

    /// <summary>scan.l's <c>dolq_cont</c>: like an identifier but without <c>$</c>.</summary>
    public static bool IsDollarTagPart(char c) => c != '$' && IsIdentifierPart(c);

    public static bool IsDigit(char c) => (uint)(c - '0') <= 9;

    public static bool IsHexDigit(char c) => c < 128 && (Table[c] & HexDigitFlag) != 0;

    /// <summary>scan.l's <c>op_chars</c>: <c>~ ! @ # ^ &amp; | ` ? + - * / % &lt; &gt; =</c>.</summary>
    public static bool IsOperatorChar(char c) => c < 128 && (Table[c] & OperatorFlag) != 0;

    /// <summary>psql's <c>variable_char</c> (src/fe_utils/psqlscan.l).</summary>
    public static bool IsPsqlVariableChar(char c) => c >= 128 || (Table[c] & (IdentifierStartFlag | DigitFlag)) != 0;

    private static byte[] BuildTable()
    {
        var table = new byte[128];
        for (var c = 'a'; c <= 'z'; c++)
        {
            table[c] = IdentifierStartFlag | IdentifierPartFlag;
            table[char.ToUpperInvariant(c)] = IdentifierStartFlag | IdentifierPartFlag;
        }

        table['_'] = IdentifierStartFlag | IdentifierPartFlag;
        table['$'] = IdentifierPartFlag;
        for (var c = '0'; c <= '9'; c++)
        {
            table[c] = IdentifierPartFlag | DigitFlag | HexDigitFlag;
        }

        for (var c = 'a'; c <= 'f'; c++)
        {
            table[c] |= HexDigitFlag;
            table[char.ToUpperInvariant(c)] |= HexDigitFlag;
        }

        foreach (var c in "~!@#^&|`?+-*/%<>=")
        {
            table[c] = OperatorFlag;
        }

        return table;
    }
}
