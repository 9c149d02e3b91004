using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Backstop.Core.Configuration;

/// <summary>Reads values out of YAML nodes, turning every problem into a <see cref="ConfigException"/> with the file, line and column.</summary>
internal sealed class YamlReader(string file)
{
    private const string UnknownName = "Unknown";

    public ConfigException Error(YamlNode node, string message) =>
        new(file, node.Start.Line, node.Start.Column, message);

    public YamlMappingNode Mapping(YamlNode node, string what) =>
        node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping of keys to values");

    public string Scalar(YamlNode node, string key) =>
        node is YamlScalarNode { Value: { } value } ? value : throw Error(node, $"'{key}' must be a single value");

    /// <summary>Each key of <paramref name="mapping"/>, refusing keys outside <paramref name="allowed"/> and repeats.</summary>
    public IEnumerable<(string Key, YamlNode Value)> Entries(YamlMappingNode mapping, string where, IReadOnlyCollection<string> allowed)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = Scalar(keyNode, "key");
            if (allowed.Count > 0 && !allowed.Contains(key))
            {
                throw Error(keyNode, $"unknown key '{key}' in {where}; expected one of: {string.Join(", ", allowed)}");
            }

            if (!seen.Add(key))
            {
                throw Error(keyNode, $"'{key}' appears twice in {where}");
            }

            yield return (key, value);
        }
    }

    /// <summary>
    /// One of the enum's names, in any case. <c>Unknown</c> is never one: that member stands for a value a newer Backstop
    /// recorded (<see cref="State.StoredEnum"/>), not for anything a person may write.
    /// </summary>
    public TEnum Enum<TEnum>(YamlNode node, string key)
        where TEnum : struct, Enum
    {
        var text = Scalar(node, key);
        var names = System.Enum.GetNames<TEnum>().Where(n => n != UnknownName).ToList();
        return names.Contains(text, StringComparer.OrdinalIgnoreCase)
            ? System.Enum.Parse<TEnum>(text, ignoreCase: true)
            : throw Error(node, $"'{key}' is '{text}'; expected one of: {string.Join(", ", names.Select(n => n.ToLowerInvariant()))}");
    }

    public bool Bool(YamlNode node, string key)
    {
        var text = Scalar(node, key).Trim();
        return text.ToLowerInvariant() switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            _ => throw Error(node, $"'{key}' is '{text}'; expected true or false"),
        };
    }

    public long Long(YamlNode node, string key, long min)
    {
        var text = Scalar(node, key).Replace("_", "", StringComparison.Ordinal);
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : throw Error(node, $"'{key}' is '{text}'; expected a whole number of at least {min}");
    }

    public double Fraction(YamlNode node, string key)
    {
        var text = Scalar(node, key).Trim();
        var percent = text.EndsWith('%');
        if (double.TryParse(percent ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            value = percent ? value / 100 : value;
            if (value is > 0 and <= 1)
            {
                return value;
            }
        }

        throw Error(node, $"'{key}' is '{text}'; expected a fraction like 0.5 or 50%");
    }

    /// <summary>"500ms", "2s", "5m", "1h": at least 1ms (PostgreSQL rounds less to 0, which turns a timeout off), at most <paramref name="max"/>.</summary>
    public TimeSpan Duration(YamlNode node, string key, TimeSpan? max = null)
    {
        var text = Scalar(node, key).Trim();
        var limit = max ?? Durations.Max;
        if (!Durations.TryParse(text, out var duration))
        {
            throw Error(node, $"'{key}' is '{text}'; expected a duration like 500ms, 2s, 5m or 1h, up to {Durations.Max.TotalDays:0}d");
        }

        if (duration < TimeSpan.FromMilliseconds(1) || duration > limit)
        {
            throw Error(node, $"'{key}' is '{text}', out of range; use from 1ms to {(long)limit.TotalMilliseconds}ms ({Describe(limit)})");
        }

        return duration;
    }

    private static string Describe(TimeSpan span) =>
        span.TotalDays >= 1 ? $"about {Math.Floor(span.TotalDays):0} days" : $"{span.TotalSeconds:0} s";
}
