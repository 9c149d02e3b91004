namespace Backstop.Core.Snapshots.Masking;

/// <summary>
/// A keyed bijection of the integers that keeps each value's sign and its width class: magnitudes below 2^15, below 2^31
/// and below 2^63 are each permuted among themselves. So the hash of a value is the same whether the column is smallint,
/// integer or bigint (an integer foreign key still joins a bigint key), always fits the column's type, keeps a unique
/// column unique, and keeps CHECK (id &gt; 0) true.
/// </summary>
internal sealed class IntegerPermutation
{
    private const int Rounds = 4;

    /// <summary>A SipHash key per block and round, derived from the snapshot key once.</summary>
    private readonly SipHash[,] _rounds = new SipHash[3, Rounds];

    public IntegerPermutation(KeyedHash hash)
    {
        for (var block = 0; block < 3; block++)
        {
            for (var round = 0; round < Rounds; round++)
            {
                var purpose = $"{Blocks[block].Purpose}round{round}";
                _rounds[block, round] = new SipHash(hash.Derive(purpose, 0), hash.Derive(purpose, 1));
            }
        }
    }

    private static readonly (ulong Start, ulong Count, int Bits, string Purpose)[] Blocks =
    [
        (0, 1UL << 15, 15, "int15-"),
        (1UL << 15, (1UL << 31) - (1UL << 15), 31, "int31-"),
        (1UL << 31, (1UL << 63) - (1UL << 31), 63, "int63-"),
    ];

    public long Apply(long value) =>
        value >= 0 ? (long)Permute((ulong)value) : -1 - (long)Permute((ulong)(-1 - value));

    private ulong Permute(ulong magnitude)
    {
        var index = magnitude < Blocks[1].Start ? 0 : magnitude < Blocks[2].Start ? 1 : 2;
        var block = Blocks[index];
        var result = magnitude - block.Start;

        // Cycle walking: a permutation of the 2^bits offsets, repeated until the offset is inside the block, is a
        // permutation of the block's offsets.
        do
        {
            result = Encrypt(result, (block.Bits + 1) / 2, index);
        }
        while (result >= block.Count);
        return block.Start + result;
    }

    private ulong Encrypt(ulong value, int half, int block)
    {
        var mask = half == 32 ? uint.MaxValue : (1UL << half) - 1;
        var left = (value >> half) & mask;
        var right = value & mask;
        for (var round = 0; round < Rounds; round++)
        {
            var next = left ^ (_rounds[block, round].Of(right) & mask);
            left = right;
            right = next;
        }

        return (left << half) | right;
    }
}
