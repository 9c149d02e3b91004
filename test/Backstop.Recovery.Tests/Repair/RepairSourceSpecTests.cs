using Backstop.Recovery.Repair;

namespace Backstop.Recovery.Tests.Repair;

/// <summary>How <c>--from</c>, <c>--after</c> and <c>--incident-at</c> name a repair's sources, read without a database.</summary>
public sealed class RepairSourceSpecTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 15, 0, 0, TimeSpan.Zero);
    private static readonly string[] Environments = ["prod", "clone"];

    [Theory]
    [InlineData("backup:20261121-140000", "Backup", "20261121-140000")]
    [InlineData("pitr:2026-11-21T14:03:00Z", "Pitr", "2026-11-21T14:03:00Z")]
    [InlineData("clone", "Environment", "clone")]
    [InlineData("env:CLONE_URL", "Variable", "CLONE_URL")]
    [InlineData("postgresql://repair@127.0.0.1:5433/shop", "Url", "postgresql://repair@127.0.0.1:5433/shop")]
    [InlineData("Clone", "Url", "Clone")]
    public void Parse_names_the_kind_of_source_and_what_follows_its_prefix(string text, string kind, string value)
    {
        Assert.Equal(new RepairSourceSpec(Enum.Parse<RepairSourceKind>(kind), value), RepairSourceSpec.Parse(text, Environments));
    }

    [Fact]
    public void Parse_prefix_wins_over_an_environment_of_the_same_name()
    {
        Assert.Equal(RepairSourceKind.Backup, RepairSourceSpec.Parse("backup:1", ["backup:1"]).Kind);
        Assert.Equal(RepairSourceKind.Environment, RepairSourceSpec.Parse("env:X", ["env:X"]).Kind);
    }

    [Fact]
    public void Sources_without_incident_time_are_from_and_after_as_given()
    {
        Assert.Equal(("backup:1", (string?)null), RepairSourceSpec.Sources("backup:1", null, null, "10s", TimeZoneInfo.Utc, Now));
        Assert.Equal(("clone", "env:AFTER"), RepairSourceSpec.Sources("clone", "env:AFTER", null, "10s", TimeZoneInfo.Utc, Now));
    }

    [Fact]
    public void Sources_incident_time_is_two_point_in_time_clones_the_window_apart()
    {
        var (from, after) = RepairSourceSpec.Sources(null, null, "2026-11-21 15:03:00", "2m", TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"), Now);

        Assert.Equal("pitr:2026-11-21 14:03:00.000000+00", from);
        Assert.Equal("pitr:2026-11-21 14:05:00.000000+00", after);
    }

    [Theory]
    [InlineData(null, null, null, "10s", "say where the right values are: --from URL|backup:ID|pitr:TIME, or --incident-at TIME")]
    [InlineData("clone", null, "now", "10s", "--incident-at makes both sources from point-in-time clones; give it without --from and --after")]
    [InlineData(null, "clone", "now", "10s", "--incident-at makes both sources from point-in-time clones; give it without --from and --after")]
    [InlineData(null, null, "now", "ten seconds", "--incident-window 'ten seconds' is not a duration; use e.g. 10s or 2m")]
    [InlineData(null, null, "now", "0s", "--incident-window '0s' is not a duration; use e.g. 10s or 2m")]
    [InlineData(null, null, "yesterday", "10s", "'yesterday' is not a time;")]
    public void Sources_that_cannot_be_made_are_usage_errors_that_say_what_to_give(string? from, string? after, string? incidentAt, string window, string message)
    {
        var error = Assert.Throws<RepairUsageException>(() => RepairSourceSpec.Sources(from, after, incidentAt, window, TimeZoneInfo.Utc, Now));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }
}
