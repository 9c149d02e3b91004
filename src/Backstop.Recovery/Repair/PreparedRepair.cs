namespace Backstop.Recovery.Repair;

/// <summary>A repair ready to run: its guarded changes in order, and how long loading its rows into the target took.</summary>
public sealed record PreparedRepair(IReadOnlyList<RepairBatch> Batches, TimeSpan Loaded);
