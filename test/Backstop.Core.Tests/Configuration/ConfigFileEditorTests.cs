using Backstop.Core.Configuration;
using Backstop.Core.Policies;
using Backstop.Postgres.Catalog;

namespace Backstop.Core.Tests.Configuration;

public sealed class ConfigFileEditorTests : IDisposable
{
    private static readonly ServerIdentity ProductionIdentity = new("7301234567890123456", "shop", "db.example.com", 5432);
    private static readonly ServerIdentity StagingIdentity = new("7299000000000000001", "shop_staging", "staging.example.com", 6432);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"backstop-config-{Guid.NewGuid():N}");
    private readonly string _path;

    public ConfigFileEditorTests()
    {
        Directory.CreateDirectory(_directory);
        _path = Path.Combine(_directory, "backstop.yaml");
        File.WriteAllText(_path, StarterConfig.Text);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void AddEnvironment_starter_file_loads_with_the_environment_and_its_identity()
    {
        ConfigFileEditor.AddEnvironment(_path, "production", "postgresql://app@db.example.com/shop", Tier.Production, "Europe/Berlin", ProductionIdentity);

        var environment = Assert.Single(ConfigLoader.Load(_path).Environments);
        Assert.Equal("production", environment.Name);
        Assert.Equal("postgresql://app@db.example.com/shop", environment.Url);
        Assert.Equal(Tier.Production, environment.Tier);
        Assert.Equal("Europe/Berlin", environment.TimeZone.Id);
        Assert.Equal(ProductionIdentity, environment.Identity);
    }

    [Fact]
    public void AddEnvironment_starter_file_keeps_every_comment_line_in_order()
    {
        var comments = CommentLines(StarterConfig.Text);

        ConfigFileEditor.AddEnvironment(_path, "production", "postgresql://app@db.example.com/shop", Tier.Production, null, ProductionIdentity);

        Assert.NotEmpty(comments);
        Assert.Equal(comments, CommentLines(File.ReadAllText(_path)));
    }

    [Fact]
    public void AddEnvironment_two_environments_keeps_both()
    {
        ConfigFileEditor.AddEnvironment(_path, "production", "postgresql://app@db.example.com/shop", Tier.Production, null, ProductionIdentity);
        ConfigFileEditor.AddEnvironment(_path, "staging", "env:STAGING_URL", Tier.Staging, null, StagingIdentity);

        var config = ConfigLoader.Load(_path);
        Assert.Equal(["production", "staging"], config.Environments.Select(e => e.Name));
        Assert.Equal(ProductionIdentity, config.Environment("production").Identity);
        Assert.Equal(StagingIdentity, config.Environment("staging").Identity);
        Assert.Equal(Tier.Staging, config.Environment("staging").Tier);
        Assert.Equal(CommentLines(StarterConfig.Text), CommentLines(File.ReadAllText(_path)));
    }

    [Fact]
    public void AddEnvironment_keeps_the_policy_overrides_of_the_file()
    {
        File.WriteAllText(_path, StarterConfig.Text.Replace("# total_rows_over: 1000", "total_rows_over: 5000", StringComparison.Ordinal));

        ConfigFileEditor.AddEnvironment(_path, "production", "postgresql://db/shop", Tier.Production, null, ProductionIdentity);

        Assert.Equal(5000, ConfigLoader.Load(_path).Policies[Tier.Production].TotalRowsOver);
    }

    [Fact]
    public void AddEnvironment_url_with_quotes_and_backslashes_round_trips()
    {
        const string url = "postgresql://app@db.example.com/sh\"o\\p";

        ConfigFileEditor.AddEnvironment(_path, "production", url, Tier.Production, null, ProductionIdentity);

        Assert.Equal(url, ConfigLoader.Load(_path).Environment("production").Url);
    }

    [Fact]
    public void AddEnvironment_existing_name_is_refused_and_leaves_the_file_unchanged()
    {
        ConfigFileEditor.AddEnvironment(_path, "production", "postgresql://db/shop", Tier.Production, null, ProductionIdentity);
        var before = File.ReadAllText(_path);

        var error = Assert.Throws<ConfigException>(() =>
            ConfigFileEditor.AddEnvironment(_path, "production", "postgresql://other/shop", Tier.Production, null, StagingIdentity));

        Assert.StartsWith(_path + ":", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(_path));
    }

    [Fact]
    public void AddEnvironment_file_without_environments_key_gets_one()
    {
        File.WriteAllText(_path, "policies:\n  production:\n    write: approve\n");

        ConfigFileEditor.AddEnvironment(_path, "production", "postgresql://db/shop", Tier.Production, null, ProductionIdentity);

        var config = ConfigLoader.Load(_path);
        Assert.Equal(ProductionIdentity, Assert.Single(config.Environments).Identity);
        Assert.Equal(Verdict.Approve, config.Policies[Tier.Production].Write);
    }

    [Fact]
    public void SetIdentity_replaces_one_environment_and_leaves_the_other_unchanged()
    {
        ConfigFileEditor.AddEnvironment(_path, "production", "postgresql://db/shop", Tier.Production, null, ProductionIdentity);
        ConfigFileEditor.AddEnvironment(_path, "staging", "postgresql://staging/shop", Tier.Staging, null, StagingIdentity);
        var replaced = new ServerIdentity("7400000000000000042", "shop", "db.example.com", 5432);

        ConfigFileEditor.SetIdentity(_path, "production", replaced);

        var config = ConfigLoader.Load(_path);
        Assert.Equal(replaced, config.Environment("production").Identity);
        Assert.Equal(StagingIdentity, config.Environment("staging").Identity);
        Assert.Equal(CommentLines(StarterConfig.Text), CommentLines(File.ReadAllText(_path)));
    }

    [Fact]
    public void SetIdentity_multi_line_identity_is_replaced_whole()
    {
        File.WriteAllText(_path, """
            environments:
              production:
                url: postgresql://db/shop
                identity:
                  system_identifier: "1"
                  database: old
                  host: old.example.com
                  port: 5433
                tier: production
              staging:
                url: postgresql://staging/shop
                tier: staging

            """);

        ConfigFileEditor.SetIdentity(_path, "production", ProductionIdentity);

        var config = ConfigLoader.Load(_path);
        Assert.Equal(ProductionIdentity, config.Environment("production").Identity);
        Assert.Equal(Tier.Production, config.Environment("production").Tier);
        Assert.Null(config.Environment("staging").Identity);
    }

    [Fact]
    public void SetIdentity_environment_without_identity_gets_one()
    {
        File.WriteAllText(_path, "environments:\n  production:\n    url: postgresql://db/shop\n    tier: production\n");

        ConfigFileEditor.SetIdentity(_path, "production", ProductionIdentity);

        Assert.Equal(ProductionIdentity, ConfigLoader.Load(_path).Environment("production").Identity);
    }

    [Fact]
    public void SetIdentity_environment_named_like_a_tier_after_the_policies_is_found()
    {
        File.WriteAllText(_path, """
            policies:
              staging:
                write: confirm
            environments:
              staging:
                url: postgresql://staging/shop
                tier: staging

            """);

        ConfigFileEditor.SetIdentity(_path, "staging", StagingIdentity);

        var config = ConfigLoader.Load(_path);
        Assert.Equal(StagingIdentity, config.Environment("staging").Identity);
        Assert.Equal(Verdict.Confirm, config.Policies[Tier.Staging].Write);
    }

    [Fact]
    public void SetIdentity_database_oid_is_written_and_read_back()
    {
        ConfigFileEditor.AddEnvironment(_path, "production", "postgresql://db/shop", Tier.Production, null, ProductionIdentity);
        var withOid = ProductionIdentity with { DatabaseOid = 4_000_000_001 };

        ConfigFileEditor.SetIdentity(_path, "production", withOid);

        Assert.Contains("database_oid: 4000000001", File.ReadAllText(_path), StringComparison.Ordinal);
        Assert.Equal(withOid, ConfigLoader.Load(_path).Environment("production").Identity);
    }

    [Fact]
    public void Load_identity_without_database_oid_reads_it_as_not_recorded()
    {
        ConfigFileEditor.AddEnvironment(_path, "production", "postgresql://db/shop", Tier.Production, null, ProductionIdentity);

        var identity = ConfigLoader.Load(_path).Environment("production").Identity;

        Assert.DoesNotContain("database_oid", File.ReadAllText(_path), StringComparison.Ordinal);
        Assert.NotNull(identity);
        Assert.Null(identity.DatabaseOid);
    }

    [Fact]
    public void SetIdentity_unknown_environment_says_to_edit_by_hand()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigFileEditor.SetIdentity(_path, "nope", ProductionIdentity));

        Assert.Equal($"environment 'nope' was not found as a block '  nope:' in {_path}; edit its identity by hand", error.Message);
    }

    private static List<string> CommentLines(string text) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.TrimStart().StartsWith('#')).ToList();
}
