using Backstop.Sql.Lexing;

namespace Backstop.Sql.Splitting;

/// <summary>
/// Keeps semicolons inside SQL-standard routine bodies (<c>CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC ... END</c>,
/// docs: CREATE FUNCTION, <c>sql_body</c>) from ending the statement. Like psql's psqlscan.l heuristic, it counts
/// CASE ... END pairs inside the body; it looks only at bare words, so quoted "end" does not count.
/// </summary>
internal struct AtomicBodyTracker
{
    private int _significantCount;
    private bool _isRoutine;
    private bool _previousWasBegin;
    private int _depth;

    public readonly bool InsideBody => _depth > 0;

    public void Reset() => this = default;

    public void Observe(string source, Token token)
    {
        var index = _significantCount++;
        if (index < 4)
        {
            ObserveHeader(source, token, index);
            return;
        }

        if (!_isRoutine || token.Kind != TokenKind.Identifier)
        {
            _previousWasBegin = false;
            return;
        }

        var word = source.AsSpan(token.Start, token.Length);
        if (_depth == 0)
        {
            if (_previousWasBegin && word.Equals("ATOMIC", StringComparison.OrdinalIgnoreCase))
            {
                _depth = 1;
            }

            _previousWasBegin = word.Equals("BEGIN", StringComparison.OrdinalIgnoreCase);
        }
        else if (word.Equals("CASE", StringComparison.OrdinalIgnoreCase))
        {
            _depth++;
        }
        else if (word.Equals("END", StringComparison.OrdinalIgnoreCase))
        {
            _depth--;
        }
    }

    private void ObserveHeader(string source, Token token, int index)
    {
        var word = token.Kind == TokenKind.Identifier ? source.AsSpan(token.Start, token.Length) : [];
        switch (index)
        {
            case 0:
                _isRoutine = word.Equals("CREATE", StringComparison.OrdinalIgnoreCase);
                break;
            case 1:
                if (_isRoutine && IsRoutineWord(word))
                {
                    _significantCount = 4;
                }
                else
                {
                    _isRoutine &= word.Equals("OR", StringComparison.OrdinalIgnoreCase);
                }

                break;
            case 2:
                _isRoutine &= word.Equals("REPLACE", StringComparison.OrdinalIgnoreCase);
                break;
            default:
                _isRoutine &= IsRoutineWord(word);
                break;
        }
    }

    private static bool IsRoutineWord(ReadOnlySpan<char> word) =>
        word.Equals("FUNCTION", StringComparison.OrdinalIgnoreCase) || word.Equals("PROCEDURE", StringComparison.OrdinalIgnoreCase);
}
