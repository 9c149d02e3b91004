using Backstop.Core.Snapshots;
using Backstop.Postgres.Catalog;
using Backstop.Postgres.Connections;

namespace Backstop.Recovery.Snapshots;

/// <summary>What <see cref="SnapshotCreator"/> needs: the source, its rules, the maskers and the key they share.</summary>
public sealed record SnapshotCreateRequest
{
    public required string Environment { get; init; }

    /// <summary>The source database (for pg_dump of its schema and the worker connections).</summary>
    public required PgUrl Url { get; init; }

    public required ServerIdentity Identity { get; init; }

    public required SnapshotSettings Settings { get; init; }

    public required IMaskerFactory Maskers { get; init; }

    /// <summary>The masking secret; used here only to derive the shuffle orders' salts.</summary>
    public required byte[] Key { get; init; }

    /// <summary>Tables read at once, each on its own connection in the same snapshot (default 2).</summary>
    public int Jobs { get; init; } = 2;

    /// <summary>Distinct original values sampled per masked column for the leak scan.</summary>
    public int LeakSamplesPerColumn { get; init; } = 1000;
}
