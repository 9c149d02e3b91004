using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Backstop.Recovery.Pitr;

/// <summary>
/// A pgBackRest backup label, which is also the backup's id in the catalog. pgBackRest names a full backup by its start
/// (<c>20261121-150504F</c>) and a differential or incremental one by the full backup it builds on and its own start
/// (<c>20261121-150504F_20261121-151000D</c>, <c>…I</c>), as <c>pgbackrest info</c> lists them and
/// <c>restore --set</c> takes them. The times are the backup host's local time, so they are not read as instants here:
/// <see cref="PitrBackup"/> has the real start and stop times from <c>pgbackrest info</c>.
/// </summary>
internal sealed partial record PitrBackupLabel
{
    public required string Text { get; init; }

    /// <summary><c>full</c>, <c>diff</c> or <c>incr</c>, as <c>--type</c> takes them.</summary>
    public required string Type { get; init; }

    /// <summary>The label of the full backup a diff or incr builds on; null for a full backup.</summary>
    public string? Full { get; init; }

    public static bool TryParse(string text, [NotNullWhen(true)] out PitrBackupLabel? label)
    {
        var match = Shape().Match(text);
        label = !match.Success
            ? null
            : new PitrBackupLabel
            {
                Text = text,
                Type = match.Groups["type"].Value switch { "" => "full", "D" => "diff", _ => "incr" },
                Full = match.Groups["type"].Value == "" ? null : match.Groups["full"].Value,
            };
        return label is not null;
    }

    /// <summary>
    /// The type a label names. A label of another shape (a newer pgBackRest's) is read by its last letter, and one
    /// that ends in neither F nor D counts as incremental: the type that needs the most before it to be restored.
    /// </summary>
    public static string TypeOf(string text) =>
        TryParse(text, out var label) ? label.Type : text.EndsWith('F') ? "full" : text.EndsWith('D') ? "diff" : "incr";

    [GeneratedRegex(@"^(?<full>\d{8}-\d{6}F)(?:_\d{8}-\d{6}(?<type>[DI]))?$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
