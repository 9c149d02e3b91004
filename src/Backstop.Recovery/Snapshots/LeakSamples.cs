using System.Collections.Concurrent;

namespace Backstop.Recovery.Snapshots;

/// <summary>
/// Original values of masked columns, sampled during the read for the leak scan. Held in memory only: never written,
/// logged or shown; a hit is reported by the column the value came from.
/// </summary>
public sealed class LeakSamples
{
    private readonly ConcurrentDictionary<string, ConcurrentBag<string>> _sources = new(StringComparer.Ordinal);

    public int Count => _sources.Count;

    /// <param name="column">table.column the value was read from.</param>
    public void Add(string value, string column) => _sources.GetOrAdd(value, _ => []).Add(column);

    public IReadOnlyCollection<string> Values => (IReadOnlyCollection<string>)_sources.Keys;

    /// <summary>The masked columns a value was sampled from.</summary>
    public IEnumerable<string> SourcesOf(string value) => _sources.TryGetValue(value, out var sources) ? sources.Distinct(StringComparer.Ordinal) : [];
}
