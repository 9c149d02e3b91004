using Backstop.Core.Configuration;
using Backstop.Postgres.Catalog;

namespace Backstop.Core.Tests.Configuration;

public sealed class ConfigFileEditorPitrTests : IDisposable
{
    private static readonly ServerIdentity Identity = new("7301234567890123456", "shop", "localhost", 5432);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"backstop-config-{Guid.NewGuid():N}");
    private readonly string _path;

    public ConfigFileEditorPitrTests()
    {
        Directory.CreateDirectory(_directory);
        _path = Path.Combine(_directory, "backstop.yaml");
        File.WriteAllText(_path, StarterConfig.Text);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void SetPitr_environment_without_pitr_gets_the_section_and_the_next_environment_is_unchanged()
    {
        ConfigFileEditor.AddEnvironment(_path, "production", "postgresql://postgres@localhost/shop", Tier.Production, null, Identity);
        ConfigFileEditor.AddEnvironment(_path, "staging", "postgresql://staging/shop", Tier.Staging, null, Identity);
        var pitr = new PitrSettings { DataDirectory = "/var/lib/postgresql/15/main", Repository = "/srv/backstop/.backstop/pitr/production/repo", Stanza = "production" };

        ConfigFileEditor.SetPitr(_path, "production", pitr);

        var config = ConfigLoader.Load(_path);
        Assert.Equal(pitr, config.Environment("production").Pitr);
        Assert.Equal(Identity, config.Environment("production").Identity);
        Assert.Null(config.Environment("staging").Pitr);
        Assert.Equal(Tier.Staging, config.Environment("staging").Tier);
    }

    [Fact]
    public void SetPitr_existing_section_is_replaced_whole()
    {
        File.WriteAllText(_path, """
            environments:
              production:
                url: postgresql://postgres@localhost/shop
                pitr:
                  pgdata: /old/data
                  repository: /old/repo
                  stanza: old
                tier: production

            """);
        var pitr = new PitrSettings { DataDirectory = "/new/data", Repository = "/new/repo", Stanza = "production" };

        ConfigFileEditor.SetPitr(_path, "production", pitr);

        var config = ConfigLoader.Load(_path);
        Assert.Equal(pitr, config.Environment("production").Pitr);
        Assert.Equal(Tier.Production, config.Environment("production").Tier);
        Assert.DoesNotContain("/old/", File.ReadAllText(_path), StringComparison.Ordinal);
    }

    [Fact]
    public void SetPitr_unknown_environment_says_to_edit_by_hand()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigFileEditor.SetPitr(_path, "nope", new PitrSettings { DataDirectory = "/data" }));

        Assert.Equal($"environment 'nope' was not found as a block '  nope:' in {_path}; edit its pitr section by hand", error.Message);
    }
}
