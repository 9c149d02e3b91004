using Backstop.Recovery.Pitr;

namespace Backstop.Recovery.Tests.Pitr;

/// <summary>pgBackRest's backup labels, as <c>pitr backup</c> reports the type of the backup it took.</summary>
public sealed class PitrBackupLabelTests
{
    [Fact]
    public void TryParse_full_label_is_a_full_backup_that_builds_on_nothing()
    {
        Assert.True(PitrBackupLabel.TryParse("20261121-150504F", out var label));

        Assert.Equal("full", label.Type);
        Assert.Null(label.Full);
        Assert.Equal("20261121-150504F", label.Text);
    }

    [Theory]
    [InlineData("20261121-150504F_20261121-151000D", "diff")]
    [InlineData("20261121-150504F_20261121-151000I", "incr")]
    public void TryParse_diff_and_incr_labels_name_the_full_backup_they_build_on(string text, string type)
    {
        Assert.True(PitrBackupLabel.TryParse(text, out var label));

        Assert.Equal(type, label.Type);
        Assert.Equal("20261121-150504F", label.Full);
    }

    [Theory]
    [InlineData("")]
    [InlineData("pitr-failed-20261121-150504")]
    [InlineData("20261121-150504")]
    [InlineData("20261121-150504F_20261121-151000X")]
    [InlineData("20261121-150504D")]
    public void TryParse_text_of_another_shape_is_no_label(string text)
    {
        Assert.False(PitrBackupLabel.TryParse(text, out var label));
        Assert.Null(label);
    }

    [Theory]
    [InlineData("20261121-150504F", "full")]
    [InlineData("20261121-150504F_20261121-151000D", "diff")]
    [InlineData("20261121-150504F_20261121-151000I", "incr")]
    [InlineData("20261121-150504.123F", "full")]
    [InlineData("20261121-150504.123D", "diff")]
    [InlineData("something-else", "incr")]
    public void TypeOf_reads_the_last_letter_of_a_label_of_another_shape_and_counts_the_unknown_as_incremental(string text, string type)
    {
        Assert.Equal(type, PitrBackupLabel.TypeOf(text));
    }
}
