using Backstop.Core.Configuration;
using Backstop.Core.Snapshots.Links;

namespace Backstop.Recovery.Snapshots;

/// <summary>Snapshots where <c>snapshot create</c> keeps them (<see cref="SnapshotRepository"/>), for links and the console.</summary>
public sealed class RepositorySnapshotFinder(SnapshotRepository repository) : ISnapshotFinder
{
    public SnapshotFiles? Find(EnvironmentConfig environment, string id) =>
        List(environment).FirstOrDefault(s => string.Equals(s.Id, id, StringComparison.Ordinal));

    public IReadOnlyList<SnapshotFiles> List(EnvironmentConfig environment) =>
        [.. repository.List(environment.Name)
            .Where(s => s.Manifest is not null)
            .Select(s => new SnapshotFiles(s.Id, s.Environment, s.Path, s.Manifest!.IsUsable, s.Manifest.FinishedAt, s.Manifest.SizeBytes))
            .OrderByDescending(s => s.CreatedAt)];
}
