using Backstop.Postgres.Sandbox;
using Backstop.Postgres.Tools;
using Backstop.Testing;

namespace Backstop.Postgres.Tests.Tools;

/// <summary>The user a cluster's programs run as: the owner of its data directory, reached through runuser when we are root.</summary>
public sealed class ClusterOwnerTests : IDisposable
{
    // Made by us, closed to everyone else.
    private readonly string _private = Directory.CreateTempSubdirectory("backstop-owner-").FullName;

    public void Dispose() => Directory.Delete(_private, recursive: true);

    [Fact]
    public async Task OfAsync_data_directory_of_the_test_cluster_is_the_service_user()
    {
        var cluster = await PostgresSandbox.GetAsync();

        var owner = await ClusterOwner.OfAsync(cluster.Info.DataDirectory, CancellationToken.None);

        Assert.Equal(ClusterOwner.Service.Name, owner.Name);
        Assert.Equal(ClusterOwner.Service.SwitchesUser, owner.SwitchesUser);
    }

    [Fact]
    public async Task RunAsync_runs_the_program_as_the_owner()
    {
        var result = await ClusterOwner.Service.RunAsync("id", ["-un"], CancellationToken.None);

        Assert.True(result.Succeeded, result.ErrorSummary());
        Assert.Equal(ClusterOwner.Service.Name, result.Output.Trim());
    }

    [Fact]
    public async Task CanWriteAsync_is_true_for_the_data_directory_and_false_for_a_directory_closed_to_the_owner()
    {
        var cluster = await PostgresSandbox.GetAsync();
        var owner = ClusterOwner.Service;

        Assert.True(await owner.CanWriteAsync(cluster.Info.DataDirectory, CancellationToken.None));
        // Ours, mode 0700: closed to the owner exactly when the owner is another user.
        Assert.Equal(!owner.SwitchesUser, await owner.CanWriteAsync(_private, CancellationToken.None));
    }

    [Fact]
    public async Task OfAsync_directory_owned_by_root_is_refused_when_we_are_root()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            // Then the directory is ours, and its programs run as us.
            Assert.Equal(Environment.UserName, (await ClusterOwner.OfAsync(_private, CancellationToken.None)).Name);
            return;
        }

        var error = await Assert.ThrowsAsync<SandboxException>(() => ClusterOwner.OfAsync(_private, CancellationToken.None));

        Assert.Equal($"{_private} belongs to root, but PostgreSQL never runs as root; give the data directory of a cluster that its own user runs", error.Message);
    }
}
