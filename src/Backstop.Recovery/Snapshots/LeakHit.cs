namespace Backstop.Recovery.Snapshots;

/// <summary>An original value of <see cref="Source"/> (table.column, masked) found in <see cref="FoundIn"/> (a table.column of the restored database, or a file). The value itself is never kept.</summary>
public sealed record LeakHit(string Source, string FoundIn);
