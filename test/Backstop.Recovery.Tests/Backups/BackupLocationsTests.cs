using Backstop.Core.Configuration;
using Backstop.Core.Environments;
using Backstop.Core.Policies;
using Backstop.Postgres.Catalog;
using Backstop.Recovery.Backups;

namespace Backstop.Recovery.Tests.Backups;

/// <summary>Where backups and their catalog are found: from backstop.yaml's folder, whatever the working directory.</summary>
public sealed class BackupLocationsTests
{
    [Fact]
    public void Repository_default_is_backups_in_the_state_directory_beside_the_configuration()
    {
        var repository = BackupLocations.Repository(Config("/srv/shop/backstop.yaml"), Environment());

        Assert.Equal("/srv/shop/.backstop/backups", repository.Root);
        Assert.Equal("/srv/shop/.backstop/backups/prod", repository.Directory);
        Assert.Equal("/srv/shop/.backstop/state.db", BackupLocations.StateFile(Config("/srv/shop/backstop.yaml")));
    }

    [Theory]
    [InlineData("../dumps", "/srv/dumps/prod")]
    [InlineData("dumps", "/srv/shop/dumps/prod")]
    [InlineData("/var/backups/backstop", "/var/backups/backstop/prod")]
    public void Repository_configured_is_relative_to_the_configuration_file_not_the_working_directory(string configured, string expected)
    {
        var environment = Environment() with { Backup = new BackupSettings { Repository = configured } };

        Assert.Equal(expected, BackupLocations.Repository(Config("/srv/shop/backstop.yaml"), environment).Directory);
    }

    [Fact]
    public void OwnDatabase_is_the_recorded_identity_s_else_the_url_s()
    {
        var connector = new EnvironmentConnector(_ => null);

        Assert.Equal("shop", BackupLocations.OwnDatabase(connector, Environment()));
        Assert.Equal("shop_v2", BackupLocations.OwnDatabase(connector, Environment() with { Identity = new ServerIdentity("7301", "shop_v2", "db.internal", 5432) }));
    }

    private static EnvironmentConfig Environment() => new() { Name = "prod", Url = "postgresql://app@db.internal:5432/shop", Tier = Tier.Production };

    private static BackstopConfig Config(string path) => new() { Path = path, Environments = [Environment()], Policies = new Dictionary<Tier, TierPolicy>() };
}
