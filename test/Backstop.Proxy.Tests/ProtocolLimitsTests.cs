namespace Backstop.Proxy.Tests;

public sealed class ProtocolLimitsTests
{
    [Fact]
    public void Problem_default_limits_are_usable()
    {
        Assert.Null(ProtocolLimits.Default.Problem());
        Assert.Equal(256 * 1024 * 1024, ProtocolLimits.Default.MaxMessageLength);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(int.MaxValue)]
    public void Problem_message_cap_outside_postgres_range_is_named(int cap)
    {
        var problem = new ProtocolLimits { MaxMessageLength = cap }.Problem();

        Assert.NotNull(problem);
        Assert.Contains("max_message_length", problem, StringComparison.Ordinal);
    }
}
