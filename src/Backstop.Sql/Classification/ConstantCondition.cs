using System.Globalization;
using Backstop.Sql.Lexing;

namespace Backstop.Sql.Classification;

/// <summary>
/// Decides whether a condition is constant without knowing the data: <c>true</c>, <c>1=1</c>, <c>x = x</c>,
/// <c>'a' = 'a'</c>, <c>NOT false</c>, <c>(1=1) AND true</c>, <c>true OR anything</c>. It answers Unknown whenever in
/// doubt, which the caller reads as "not trivially true", so only a condition that is plainly constant counts.
/// <c>x = x</c> is false for NULL x, yet it counts as true: a WHERE like that is a mistake or a bypass either way.
/// </summary>
internal static class ConstantCondition
{
    public enum Truth
    {
        Unknown,
        True,
        False,
    }

    /// <summary>Evaluates tokens [start, end) with SQL precedence: OR, then AND, then NOT, then comparison (docs: 4.1.6).</summary>
    public static Truth Evaluate(in TokenCursor cursor, int start, int end)
    {
        if (start >= end)
        {
            return Truth.Unknown;
        }

        var split = FindTopLevelWord(cursor, start, end, "OR");
        if (split >= 0)
        {
            var left = Evaluate(cursor, start, split);
            var right = Evaluate(cursor, split + 1, end);
            return left == Truth.True || right == Truth.True ? Truth.True
                : left == Truth.False && right == Truth.False ? Truth.False
                : Truth.Unknown;
        }

        split = FindTopLevelWord(cursor, start, end, "AND");
        if (split >= 0)
        {
            var left = Evaluate(cursor, start, split);
            var right = Evaluate(cursor, split + 1, end);
            return left == Truth.False || right == Truth.False ? Truth.False
                : left == Truth.True && right == Truth.True ? Truth.True
                : Truth.Unknown;
        }

        if (cursor.IsWord(start, "NOT"))
        {
            return Evaluate(cursor, start + 1, end) switch
            {
                Truth.True => Truth.False,
                Truth.False => Truth.True,
                _ => Truth.Unknown,
            };
        }

        if (cursor.Is(start, TokenKind.LeftParenthesis) && cursor.SkipGroup(start) == end)
        {
            return Evaluate(cursor, start + 1, end - 1);
        }

        return end - start == 1 ? Literal(cursor, start) : Comparison(cursor, start, end);
    }

    private static int FindTopLevelWord(in TokenCursor cursor, int start, int end, string keyword)
    {
        var index = cursor.WithEnd(end).FindTopLevelWord(start, keyword);
        return index;
    }

    /// <summary>Boolean constants, including the string forms PostgreSQL accepts for boolean (docs: 8.6).</summary>
    private static Truth Literal(in TokenCursor cursor, int index)
    {
        if (cursor.IsWord(index, "TRUE"))
        {
            return Truth.True;
        }

        if (cursor.IsWord(index, "FALSE"))
        {
            return Truth.False;
        }

        if (!cursor.Is(index, TokenKind.String) || cursor.Text(index)[0] != '\'')
        {
            return Truth.Unknown;
        }

        var value = cursor.Text(index)[1..^1].Trim();
        foreach (var word in (ReadOnlySpan<string>)["t", "true", "y", "yes", "on", "1"])
        {
            if (value.Equals(word, StringComparison.OrdinalIgnoreCase))
            {
                return Truth.True;
            }
        }

        foreach (var word in (ReadOnlySpan<string>)["f", "false", "n", "no", "off", "0"])
        {
            if (value.Equals(word, StringComparison.OrdinalIgnoreCase))
            {
                return Truth.False;
            }
        }

        return Truth.Unknown;
    }

    /// <summary><c>a op b</c> where both sides are plain operands (names, literals, casts) and either identical or two numbers.</summary>
    private static Truth Comparison(in TokenCursor cursor, int start, int end)
    {
        var op = -1;
        for (var i = start; i < end; i++)
        {
            var kind = cursor.Kind(i);
            if (kind == TokenKind.Operator)
            {
                if (op >= 0)
                {
                    return Truth.Unknown;
                }

                op = i;
            }
            else if (kind is not (TokenKind.Identifier or TokenKind.QuotedIdentifier or TokenKind.Dot or TokenKind.Number or TokenKind.String or TokenKind.Cast)
                || cursor.IsWord(i, "NULL"))
            {
                // Function calls (random() = random()), parameters and NULL are never constant-true.
                return Truth.Unknown;
            }
        }

        if (op <= start || op >= end - 1)
        {
            return Truth.Unknown;
        }

        var text = cursor.Text(op);
        var isEquality = text is "=" or "<=" or ">=";
        var isInequality = text is "<>" or "!=" or "<" or ">";
        if (!isEquality && !isInequality)
        {
            return Truth.Unknown;
        }

        if (SameOperand(cursor, start, op, op + 1, end))
        {
            return isEquality ? Truth.True : Truth.False;
        }

        return op - start == 1 && end - op == 2 && cursor.Is(start, TokenKind.Number) && cursor.Is(op + 1, TokenKind.Number)
            ? CompareNumbers(cursor.Text(start), cursor.Text(op + 1), text)
            : Truth.Unknown;
    }

    private static bool SameOperand(in TokenCursor cursor, int leftStart, int leftEnd, int rightStart, int rightEnd)
    {
        if (leftEnd - leftStart != rightEnd - rightStart)
        {
            return false;
        }

        for (var i = 0; i < leftEnd - leftStart; i++)
        {
            var left = leftStart + i;
            var right = rightStart + i;
            if (cursor.Kind(left) != cursor.Kind(right))
            {
                return false;
            }

            var comparison = cursor.Kind(left) == TokenKind.Identifier ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            if (!cursor.Text(left).Equals(cursor.Text(right), comparison))
            {
                return false;
            }
        }

        return true;
    }

    private static Truth CompareNumbers(ReadOnlySpan<char> left, ReadOnlySpan<char> right, ReadOnlySpan<char> op)
    {
        if (!decimal.TryParse(left, NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
            || !decimal.TryParse(right, NumberStyles.Float, CultureInfo.InvariantCulture, out var b))
        {
            return Truth.Unknown;
        }

        var result = op switch
        {
            "=" => a == b,
            "<=" => a <= b,
            ">=" => a >= b,
            "<" => a < b,
            ">" => a > b,
            _ => a != b,
        };
        return result ? Truth.True : Truth.False;
    }
}
