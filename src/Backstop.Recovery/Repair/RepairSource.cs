using Backstop.Postgres.Sandbox;
using Npgsql;

namespace Backstop.Recovery.Repair;

/// <summary>
/// A source a repair reads from: an open connection, and the cluster made for it, which is stopped when the repair is
/// done unless the user asked to keep it (to look at what the repair compared against).
/// </summary>
internal sealed class RepairSource(string name, NpgsqlConnection connection, SandboxCluster? cluster, bool keep) : IAsyncDisposable
{
    /// <summary>
    /// What state of the environment this source is, when Backstop can prove it (a point-in-time clone of the
    /// environment, a backup of it whose latest restore drill passed); null for a URL or another environment.
    /// </summary>
    public string? Proven { get; init; }

    /// <summary>How messages name it: a URL without its password, an environment, a backup's or a clone's sandbox.</summary>
    public string Name { get; } = name;

    public NpgsqlConnection Connection { get; } = connection;

    public SandboxCluster? Cluster { get; } = cluster;

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        if (Cluster is not null && !keep)
        {
            await Cluster.StopAsync(immediate: true, CancellationToken.None);
        }
    }
}
