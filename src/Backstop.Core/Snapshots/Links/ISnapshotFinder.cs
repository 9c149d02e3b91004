using Backstop.Core.Configuration;

namespace Backstop.Core.Snapshots.Links;

/// <summary>A snapshot on disk as a link hands it out: a directory of files (pg_restore's directory format and the manifest).</summary>
public sealed record SnapshotFiles(string Id, string Environment, string Directory, bool Usable, DateTimeOffset CreatedAt, long SizeBytes);

/// <summary>Finds the snapshots of an environment where `snapshot create` keeps them.</summary>
public interface ISnapshotFinder
{
    /// <returns>null when the environment has no snapshot of that id.</returns>
    SnapshotFiles? Find(EnvironmentConfig environment, string id);

    /// <summary>Newest first.</summary>
    IReadOnlyList<SnapshotFiles> List(EnvironmentConfig environment);
}
