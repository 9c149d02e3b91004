namespace Backstop.Sql;

/// <summary>A half-open range of a script: <see cref="Start"/> inclusive, <see cref="End"/> exclusive.</summary>
public readonly record struct SourceSpan(SourcePosition Start, SourcePosition End)
{
    public int Length => End.Offset - Start.Offset;

    public override string ToString() => $"{Start}-{End}";
}
