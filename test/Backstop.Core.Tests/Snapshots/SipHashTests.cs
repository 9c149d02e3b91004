using Backstop.Core.Snapshots.Masking;

namespace Backstop.Core.Tests.Snapshots;

public sealed class SipHashTests
{
    [Fact]
    public void Of_eight_bytes_matches_the_reference_vector()
    {
        // The paper's vectors: key 00 01 … 0f, message 00 01 … 07 → 62 24 93 9a 79 f5 f5 93 (little-endian).
        var sip = new SipHash(0x0706050403020100UL, 0x0f0e0d0c0b0a0908UL);

        Assert.Equal(0x93f5f5799a932462UL, sip.Of(0x0706050403020100UL));
    }
}
