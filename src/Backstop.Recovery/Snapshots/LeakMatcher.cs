using System.Buffers;
using System.Collections.Concurrent;

namespace Backstop.Recovery.Snapshots;

/// <summary>
/// The sampled original values as one multi-string matcher (<see cref="SearchValues{T}"/> of strings), each value as
/// it is and as COPY's text format escapes it; hits are collected here by the column the value came from.
/// </summary>
internal sealed class LeakMatcher
{
    private readonly Dictionary<string, string> _patterns = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<LeakHit, bool> _hits = new();

    public LeakMatcher(LeakSamples samples)
    {
        Samples = samples;
        foreach (var value in samples.Values)
        {
            _patterns.TryAdd(value, value);
            _patterns.TryAdd(CopyText.Escape(value), value);
        }

        Values = SearchValues.Create(_patterns.Keys.ToArray(), StringComparison.Ordinal);
        Longest = _patterns.Count == 0 ? 0 : _patterns.Keys.Max(p => p.Length);
    }

    public LeakSamples Samples { get; }

    public SearchValues<string> Values { get; }

    public int Longest { get; }

    public bool IsEmpty => _patterns.Count == 0;

    public IReadOnlyList<LeakHit> Hits => _hits.Keys.ToList();

    /// <summary>A scanner of one stream of text (a data file as it is written, or read back).</summary>
    public LeakScanner Scanner(string foundIn) => new(this, foundIn);

    /// <summary>Records which sampled values <paramref name="text"/> starts with.</summary>
    internal void RecordAt(ReadOnlySpan<char> text, string foundIn)
    {
        foreach (var (pattern, value) in _patterns)
        {
            if (text.StartsWith(pattern, StringComparison.Ordinal))
            {
                foreach (var source in Samples.SourcesOf(value))
                {
                    _hits.TryAdd(new LeakHit(source, foundIn), true);
                }
            }
        }
    }
}
