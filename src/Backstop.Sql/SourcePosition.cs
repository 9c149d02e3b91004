namespace Backstop.Sql;

/// <summary>A place in a script: zero-based offset, one-based line and column (columns count UTF-16 code units).</summary>
public readonly record struct SourcePosition(int Offset, int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}
