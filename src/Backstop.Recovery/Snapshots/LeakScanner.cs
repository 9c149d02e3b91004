namespace Backstop.Recovery.Snapshots;

/// <summary>
/// Looks for the sampled values in one stream of text fed in pieces of any size (a row, a buffer): the pieces are
/// gathered into a window that is searched when full, keeping its last characters for a value cut at the edge (a
/// value found twice that way is one hit: hits are a set).
/// </summary>
internal sealed class LeakScanner(LeakMatcher matcher, string foundIn)
{
    private readonly char[] _window = new char[1 << 18];
    private int _length;

    public void Feed(ReadOnlySpan<char> text)
    {
        if (matcher.IsEmpty)
        {
            return;
        }

        while (text.Length > 0)
        {
            if (_length == _window.Length)
            {
                Search();
            }

            var take = Math.Min(text.Length, _window.Length - _length);
            text[..take].CopyTo(_window.AsSpan(_length));
            _length += take;
            text = text[take..];
        }
    }

    /// <summary>Searches what is left; call once at the end.</summary>
    public void Complete()
    {
        if (!matcher.IsEmpty && _length > 0)
        {
            Search();
        }
    }

    private void Search()
    {
        var text = _window.AsSpan(0, _length);
        var offset = 0;
        while (offset < text.Length && text[offset..].IndexOfAny(matcher.Values) is var at && at >= 0)
        {
            matcher.RecordAt(text[(offset + at)..], foundIn);
            offset += at + 1;
        }

        var keep = Math.Min(matcher.Longest - 1, _length);
        text[(_length - keep)..].CopyTo(_window);
        _length = keep;
    }
}
