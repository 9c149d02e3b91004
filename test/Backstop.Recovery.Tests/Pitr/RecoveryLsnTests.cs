using Backstop.Recovery.Pitr;

namespace Backstop.Recovery.Tests.Pitr;

/// <summary>WAL locations as users type them (<c>pitr clone --lsn</c>) and as pg_waldump prints them.</summary>
public sealed class RecoveryLsnTests
{
    [Theory]
    [InlineData("0/1A2B3C4", "0/1A2B3C4")]
    [InlineData("0/019243D0", "0/19243D0")]
    [InlineData(" 16/b0000028 ", "16/B0000028")]
    [InlineData("FFFFFFFF/FFFFFFFF", "FFFFFFFF/FFFFFFFF")]
    public void Parse_reads_both_forms_and_prints_postgresql_s(string text, string printed)
    {
        Assert.Equal(printed, RecoveryLsn.Parse(text).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("0/")]
    [InlineData("1A2B3C4")]
    [InlineData("0/1A2B3C4G")]
    [InlineData("0/123456789")]
    [InlineData("-1/0")]
    [InlineData("2026-05-01T14:03:00Z")]
    public void Parse_of_anything_else_is_a_usage_error_showing_the_form(string text)
    {
        var error = Assert.Throws<PitrException>(() => RecoveryLsn.Parse(text));

        Assert.True(error.IsUsageError);
        Assert.Equal($"'{text}' is not a WAL location; give it as PostgreSQL prints a pg_lsn, two hexadecimal numbers with a slash between them, e.g. 0/1A2B3C4 (SELECT pg_current_wal_lsn())", error.Message);
    }
}
