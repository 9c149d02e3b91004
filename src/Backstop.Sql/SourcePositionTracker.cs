namespace Backstop.Sql;

/// <summary>
/// Turns offsets into line and column. Offsets asked for must not decrease, so a whole script costs one pass.
/// Only <c>\n</c> ends a line; in <c>\r\n</c> the <c>\r</c> is the last unit of its line, so CRLF counts once.
/// </summary>
internal struct SourcePositionTracker
{
    private readonly string _source;
    private int _offset;
    private int _line;
    private int _lineStart;

    public SourcePositionTracker(string source)
    {
        _source = source;
        _line = 1;
    }

    public static SourcePosition Locate(string source, int offset) => new SourcePositionTracker(source).At(offset);

    public SourcePosition At(int offset)
    {
        if (offset > _offset)
        {
            var skipped = _source.AsSpan(_offset, offset - _offset);
            var lastNewline = skipped.LastIndexOf('\n');
            if (lastNewline >= 0)
            {
                _line += skipped.Count('\n');
                _lineStart = _offset + lastNewline + 1;
            }

            _offset = offset;
        }
        else if (offset < _offset)
        {
            return Locate(_source, offset);
        }

        return new SourcePosition(offset, _line, offset - _lineStart + 1);
    }
}
