using Backstop.Core.Policies;
using Backstop.Core.State;

namespace Backstop.Core.Tests.State;

[Trait("Area", "State")]
public sealed class StoredEnumTests
{
    [Theory]
    [InlineData("Committed", ChangeOutcome.Committed)]
    [InlineData("committed", ChangeOutcome.Committed)]
    [InlineData("Escalated", ChangeOutcome.Unknown)]
    [InlineData("", ChangeOutcome.Unknown)]
    [InlineData("1", ChangeOutcome.Unknown)]
    [InlineData("99", ChangeOutcome.Unknown)]
    public void Parse_name_a_newer_Backstop_may_have_written_reads_as_the_member_or_Unknown(string text, ChangeOutcome expected) =>
        Assert.Equal(expected, StoredEnum.Parse(text, ChangeOutcome.Unknown));

    [Fact]
    public void Verdict_Unknown_is_stricter_than_every_verdict_a_policy_gives() =>
        Assert.All(Enum.GetValues<Verdict>().Where(v => v != Verdict.Unknown), v => Assert.True(v < Verdict.Unknown));
}
