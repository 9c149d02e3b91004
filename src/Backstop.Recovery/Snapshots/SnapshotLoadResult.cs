using Backstop.Postgres.Connections;

namespace Backstop.Recovery.Snapshots;

/// <summary>A snapshot loaded: where, and how long it took.</summary>
public sealed record SnapshotLoadResult(string Id, PgUrl Url, bool Created, TimeSpan Duration);
