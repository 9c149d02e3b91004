using Backstop.Core.Configuration;
using Backstop.Core.Snapshots;

namespace Backstop.Core.Tests.Snapshots;

/// <summary>The <c>snapshot:</c> section of backstop.yaml: every form of rule, and every mistake named with its place and fix.</summary>
public sealed class SnapshotSettingsReaderTests
{
    private const string Path = "/srv/app/backstop.yaml";

    private static SnapshotSettings Read(string snapshot) =>
        ConfigLoader.Parse(Config(snapshot), Path).Environment("prod").Snapshot;

    private static string Config(string snapshot) =>
        "environments:\n  prod:\n    url: postgresql://db/shop\n    tier: production\n    snapshot:\n"
        + string.Join('\n', snapshot.Split('\n').Select(l => "      " + l)) + "\n";

    private static ConfigException Error(string snapshot) =>
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Config(snapshot), Path));

    [Fact]
    public void Parse_every_kind_of_rule_is_read_with_its_argument_and_type()
    {
        var settings = Read("""
            key: env:BACKSTOP_SNAPSHOT_KEY
            locale: de
            tables:
              public.users:
                where: "id % 10 = 0"
                columns:
                  id: { keep, type: integer }
                  email: { fake: email, type: text }
                  name: { fake: name }
                  phone: hash
                  notes: null
                  country: { set: 'XX', type: character(2) }
                  score: shuffle
                  born: { fake: date_shift, days: 90, type: date }
                  created_at: { sql: "date_trunc('month', created_at)" }
              audit_blobs: { exclude: true }
            """);

        Assert.Equal("env:BACKSTOP_SNAPSHOT_KEY", settings.KeyReference);
        Assert.Equal("de", settings.Locale);
        var users = settings.Tables[0];
        Assert.Equal(("public", "users", false, "id % 10 = 0"), (users.Schema, users.Table, users.Exclude, users.Where));
        Assert.Equal(
            [
                new ColumnRule("id", MaskKind.Keep, null, "integer"),
                new ColumnRule("email", MaskKind.Fake, "email", "text"),
                new ColumnRule("name", MaskKind.Fake, "name"),
                new ColumnRule("phone", MaskKind.Hash),
                new ColumnRule("notes", MaskKind.Null),
                new ColumnRule("country", MaskKind.Set, "XX", "character(2)"),
                new ColumnRule("score", MaskKind.Shuffle),
                new ColumnRule("born", MaskKind.Fake, "date_shift", "date") { ShiftDays = 90 },
                new ColumnRule("created_at", MaskKind.Sql, "date_trunc('month', created_at)"),
            ],
            users.Columns);
        Assert.Equal(new TableRule("public", "audit_blobs", true, null, []), settings.Tables[1] with { Columns = [] });
    }

    [Fact]
    public void Parse_no_snapshot_section_gives_the_empty_settings()
    {
        var config = ConfigLoader.Parse("environments:\n  prod:\n    url: postgresql://db/shop\n    tier: production\n", Path);

        Assert.Same(SnapshotSettings.Empty, config.Environment("prod").Snapshot);
    }

    [Theory]
    [InlineData("key: s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t", "6: snapshot.key of environment 'prod' must say where the masking key is, not be the key")]
    [InlineData("tables:\n  public.users:\n    columns:\n      email: { fake: emial }", "9: the rule of public.users.email in environment 'prod' asks for fake: emial, which is not a kind of fake; use one of name, first_name")]
    [InlineData("tables:\n  public.users:\n    columns:\n      email: scramble", "9: the rule of public.users.email in environment 'prod' is 'scramble', which is not a rule")]
    [InlineData("tables:\n  public.users:\n    columns:\n      country: { set: }", "9: the rule of public.users.country in environment 'prod' has set: without a value")]
    [InlineData("tables:\n  public.users:\n    columns:\n      email: { fake: email, hash }", "9: the rule of public.users.email in environment 'prod' has two rules (fake and hash); keep one")]
    [InlineData("tables:\n  public.users:\n    columns:\n      email: { type: text }", "9: the rule of public.users.email in environment 'prod' has no rule, only its type")]
    [InlineData("tables:\n  public.users:\n    columns:\n      email: { hash, days: 3 }", "9: the rule of public.users.email in environment 'prod' has 'days', which only fake: date_shift takes")]
    [InlineData("tables:\n  public.users:\n    colums: {}", "8: unknown key 'colums' in snapshot.tables.public.users of environment 'prod'; expected one of: exclude, where, columns")]
    [InlineData("tables:\n  public.users: { exclude: true, where: \"id > 3\" }", "7: snapshot.tables.public.users of environment 'prod' is excluded but also has a 'where'")]
    [InlineData("locale: xx_YY", "6: snapshot.locale of environment 'prod' is 'xx_YY', which the fake generators do not know")]
    public void Parse_mistake_names_the_line_the_column_and_the_fix(string snapshot, string expected)
    {
        var error = Error(snapshot);

        var line = expected[..expected.IndexOf(':', StringComparison.Ordinal)];
        Assert.StartsWith($"{Path}:{line}:", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected[(line.Length + 2)..], error.Message, StringComparison.Ordinal);
    }
}
