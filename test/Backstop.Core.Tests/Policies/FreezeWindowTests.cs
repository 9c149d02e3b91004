using Backstop.Core.Policies;

namespace Backstop.Core.Tests.Policies;

public sealed class FreezeWindowTests
{
    [Theory]
    [InlineData("Fri 16:00 - Mon 08:00")]
    [InlineData("fri 16:00-mon 08:00")]
    [InlineData("Friday 16:00 - Monday 8:00")]
    public void TryParse_weekly_window_reads_days_and_times(string text)
    {
        var parsed = FreezeWindow.TryParse(text, out var window);

        Assert.True(parsed);
        Assert.Equal(FreezeWindow.Default, window);
        Assert.Equal("Fri 16:00 - Mon 08:00", window!.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("Fri 16:00")]
    [InlineData("Fri 16:00 - Mon 08:00 - Tue 09:00")]
    [InlineData("Fr 16:00 - Mon 08:00")]
    [InlineData("Xyz 16:00 - Mon 08:00")]
    [InlineData("Fri 25:00 - Mon 08:00")]
    [InlineData("Fri 16:00 - Mon")]
    [InlineData("Fri 4pm - Mon 8am")]
    public void TryParse_malformed_text_fails(string text)
    {
        var parsed = FreezeWindow.TryParse(text, out var window);

        Assert.False(parsed);
        Assert.Null(window);
    }

    [Theory]
    [InlineData("2025-01-17T16:00:00", true)] // Friday, the start: inclusive
    [InlineData("2025-01-17T15:59:59", false)]
    [InlineData("2025-01-18T03:00:00", true)] // Saturday
    [InlineData("2025-01-19T23:59:59", true)] // Sunday
    [InlineData("2025-01-20T07:59:59", true)] // Monday, just before the end
    [InlineData("2025-01-20T08:00:00", false)] // Monday, the end: exclusive
    [InlineData("2025-01-15T12:00:00", false)] // Wednesday
    public void Contains_default_window_wraps_the_week_end(string localTime, bool expected)
    {
        var time = DateTime.Parse(localTime, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(expected, FreezeWindow.Default.Contains(time));
    }

    [Theory]
    [InlineData("2025-01-14T09:00:00", true)] // Tuesday, the start
    [InlineData("2025-01-14T16:59:00", true)]
    [InlineData("2025-01-14T17:00:00", false)] // the end
    [InlineData("2025-01-14T08:59:00", false)]
    [InlineData("2025-01-15T12:00:00", false)] // Wednesday
    [InlineData("2025-01-13T12:00:00", false)] // Monday
    public void Contains_window_within_one_day_does_not_wrap(string localTime, bool expected)
    {
        Assert.True(FreezeWindow.TryParse("Tue 09:00 - Tue 17:00", out var window));
        var time = DateTime.Parse(localTime, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(expected, window!.Contains(time));
    }
}
