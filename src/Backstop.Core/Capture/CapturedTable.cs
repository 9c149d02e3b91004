namespace Backstop.Core.Capture;

/// <summary>A table a change captured: where its images are, how rows are matched, and how many of each were captured.</summary>
internal sealed record CapturedTable(uint RelationId, string Schema, string Name, string ImageTable, IReadOnlyList<string> KeyColumns)
{
    public long Inserted { get; init; }

    public long Updated { get; init; }

    public long Deleted { get; init; }

    public string QualifiedName => $"{Schema}.{Name}";
}
