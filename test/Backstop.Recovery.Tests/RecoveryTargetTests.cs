using Backstop.Recovery.Pitr;

namespace Backstop.Recovery.Tests;

public sealed class RecoveryTargetTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 15, 0, 0, TimeSpan.Zero);
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Theory]
    [InlineData("2026-05-01T14:03:00Z", "2026-05-01T14:03:00Z")]
    [InlineData("2026-05-01 16:03:00+02:00", "2026-05-01T14:03:00Z")]
    [InlineData("2026-05-01 16:03:00.123456+02", "2026-05-01T14:03:00.123456Z")]
    [InlineData("2026-05-01 09:33:00-04:30", "2026-05-01T14:03:00Z")]
    [InlineData("2026-05-01T14:03:00.1234567Z", "2026-05-01T14:03:00.123456Z")]
    public void Parse_time_with_an_offset_is_that_instant_to_the_microsecond(string text, string expected)
    {
        Assert.Equal(expected, RecoveryTarget.Display(RecoveryTarget.Parse(text, Berlin, Now)));
    }

    [Fact]
    public void Parse_time_without_an_offset_is_read_in_the_environments_time_zone()
    {
        Assert.Equal("2026-05-01T14:03:00Z", RecoveryTarget.Display(RecoveryTarget.Parse("2026-05-01 16:03:00", Berlin, Now)));
        Assert.Equal("2026-05-01T16:03:00Z", RecoveryTarget.Display(RecoveryTarget.Parse("2026-05-01 16:03:00", TimeZoneInfo.Utc, Now)));
    }

    [Fact]
    public void Parse_now_is_the_given_clock()
    {
        Assert.Equal(Now, RecoveryTarget.Parse("now", Berlin, Now));
    }

    [Fact]
    public void Parse_text_that_is_not_a_time_is_a_usage_error_with_examples()
    {
        var error = Assert.Throws<PitrException>(() => RecoveryTarget.Parse("yesterday", Berlin, Now));

        Assert.True(error.IsUsageError);
        Assert.Equal("'yesterday' is not a time; give it as 2026-05-01T14:03:00Z or '2026-05-01 16:03:00+02:00' (without an offset, the environment's time zone Europe/Berlin applies), or 'now'", error.Message);
    }

    [Fact]
    public void Format_is_utc_with_microseconds_as_recovery_target_time_takes_it()
    {
        Assert.Equal("2026-05-01 14:03:00.123456+00", RecoveryTarget.Format(new DateTimeOffset(2026, 5, 1, 16, 3, 0, TimeSpan.FromHours(2)).AddTicks(1234560)));
    }
}
