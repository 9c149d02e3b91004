using Backstop.Postgres.Sandbox;
using Backstop.Postgres.Tools;

namespace Backstop.Postgres.Tests.Sandbox;

public sealed class PgBinariesTests
{
    [Fact]
    public void Find_returns_a_directory_with_the_server_programs()
    {
        var binaries = PgBinaries.Find();

        Assert.True(File.Exists(binaries.Path("initdb")));
        Assert.True(File.Exists(binaries.Path("pg_ctl")));
    }

    [Fact]
    public async Task ForMajorVersion_15_runs_programs_of_version_15()
    {
        var version = await ClusterOwner.Service.RunAsync(PgBinaries.ForMajorVersion("15").Path("pg_ctl"), ["--version"], CancellationToken.None);

        Assert.True(version.Succeeded, version.ErrorSummary());
        Assert.StartsWith("pg_ctl (PostgreSQL) 15.", version.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void ForMajorVersion_not_installed_is_the_newest_installed()
    {
        Assert.Equal(PgBinaries.Find().Directory, PgBinaries.ForMajorVersion("999").Directory);
    }
}
