using System.Globalization;
using Backstop.Core.Changes;
using Backstop.Core.Policies;
using Npgsql;

namespace Backstop.Core.RecycleBin;

/// <summary>Puts items of the recycle bin back under their names, all in one transaction (<c>trash restore</c>, and undo of a change that dropped tables).</summary>
public sealed class TrashRestore(IReadOnlyList<TrashItem> items) : IChangeOperation
{
    public IReadOnlyList<TrashItem> Items { get; } = items;

    public bool AllOrNothing => true;

    public string Description => "-- backstop: restore from the recycle bin\n" + string.Concat(Items.Select(i => $"-- {i.OriginalQualifiedName} (item {i.TrashId}, {Rows(i)})\n"));

    public IReadOnlyList<PolicyReason> Judge(TierPolicy policy) =>
        [new("write", policy.Write, $"a write: restores {string.Join(", ", Items.Select(i => i.OriginalQualifiedName))} from the recycle bin")];

    public Task<IReadOnlyList<string>> RunAsync(NpgsqlConnection connection, Func<CancellationToken, Task> logChange, CancellationToken cancellationToken) =>
        TrashBin.RestoreAsync(connection, Items.Select(i => i.TrashId).ToList(), logChange, cancellationToken);

    internal static string Rows(TrashItem item) =>
        (item.RowsEstimated ? "about " : "") + item.RowEstimate.ToString("N0", CultureInfo.InvariantCulture) + " rows";
}

/// <summary>Drops items of the recycle bin for good (<c>trash purge</c>): exactly the items it was prepared with.</summary>
public sealed class TrashPurge(IReadOnlyList<TrashItem> items) : IChangeOperation
{
    public IReadOnlyList<TrashItem> Items { get; } = items;

    public bool AllOrNothing => true;

    /// <summary>After the run: what was purged (an item restored meanwhile is not) and the bytes freed.</summary>
    public (IReadOnlyList<TrashItem> Purged, long Bytes) Result { get; private set; } = ([], 0);

    public string Description => "-- backstop: purge from the recycle bin, for good\n" + string.Concat(Items.Select(i => $"-- {i.OriginalQualifiedName} (item {i.TrashId}, {TrashRestore.Rows(i)})\n"));

    /// <remarks>
    /// A purge cannot be taken back, so it asks at least for a confirmation on every tier (the typed name on
    /// production), even where the tier allows writes without one.
    /// </remarks>
    public IReadOnlyList<PolicyReason> Judge(TierPolicy policy) =>
    [
        new("write", policy.Write, "a write"),
        new("purge", Verdict.Confirm, $"drops for good {string.Join(", ", Items.Select(i => $"{i.OriginalQualifiedName} ({TrashRestore.Rows(i)})"))} from the recycle bin; it cannot be undone"),
    ];

    public async Task<IReadOnlyList<string>> RunAsync(NpgsqlConnection connection, Func<CancellationToken, Task> logChange, CancellationToken cancellationToken)
    {
        Result = await TrashBin.PurgeAsync(connection, Items, logChange, cancellationToken);
        return [];
    }
}
