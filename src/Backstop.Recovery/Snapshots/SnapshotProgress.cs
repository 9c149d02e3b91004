namespace Backstop.Recovery.Snapshots;

/// <summary>How far a snapshot has got, for the terminal: the phase, tables written, rows and bytes so far.</summary>
public sealed record SnapshotProgress(string Phase, int TablesDone = 0, int TablesTotal = 0, long Rows = 0, long Bytes = 0);
