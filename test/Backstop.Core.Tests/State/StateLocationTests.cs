using Backstop.Core.Configuration;
using Backstop.Core.State;

namespace Backstop.Core.Tests.State;

[Trait("Area", "State")]
public sealed class StateLocationTests
{
    private const string ConfigPath = "/srv/app/backstop.yaml";

    [Fact]
    public void Of_configuration_without_state_is_the_file_beside_it()
    {
        var location = StateLocation.Of(ConfigLoader.Parse("environments:\n", ConfigPath), _ => null);

        Assert.Equal("/srv/app/.backstop/state.db", location.FilePath);
        Assert.Null(location.Url);
    }

    [Fact]
    public void Of_state_url_is_that_database()
    {
        var location = StateLocation.Of(ConfigLoader.Parse("state: postgresql://backstop@db.internal:6432/team\n", ConfigPath), _ => null);

        Assert.Null(location.FilePath);
        Assert.Equal(("db.internal", 6432, "team", "backstop"), (location.Url!.Host, location.Url.Port, location.Url.Database, location.Url.User));
    }

    [Fact]
    public void Of_state_from_a_variable_reads_it_at_use_and_shows_its_password_masked()
    {
        var config = ConfigLoader.Parse("state: env:TEAM_STATE\n", ConfigPath);

        var location = StateLocation.Of(config, name => name == "TEAM_STATE" ? "postgresql://backstop:s3cret@db.internal/team" : null);

        Assert.Equal("env:TEAM_STATE", config.State);
        Assert.Equal("postgresql://backstop:****@db.internal:5432/team", location.ToString());
        Assert.Contains("Password=s3cret", location.Url!.ToConnectionString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Of_state_from_a_variable_that_is_not_set_says_which_and_how_to_set_it()
    {
        var config = ConfigLoader.Parse("state: env:TEAM_STATE\n", ConfigPath);

        var error = Assert.Throws<ConfigException>(() => StateLocation.Of(config, _ => null));

        Assert.Equal("the state store's URL is read from the variable TEAM_STATE (state: in /srv/app/backstop.yaml), which is not set; export TEAM_STATE=postgresql://…", error.Message);
    }

    [Fact]
    public void Of_state_from_a_variable_holding_no_url_is_refused_without_showing_its_password()
    {
        var config = ConfigLoader.Parse("state: env:TEAM_STATE\n", ConfigPath);

        var error = Assert.Throws<ConfigException>(() => StateLocation.Of(config, _ => "postgresql://backstop:s3cret@db.internal:port/team"));

        Assert.StartsWith("the state store's URL (state: in /srv/app/backstop.yaml) is not valid: the port 'port'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }
}
