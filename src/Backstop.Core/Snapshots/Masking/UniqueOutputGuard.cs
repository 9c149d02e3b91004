namespace Backstop.Core.Snapshots.Masking;

/// <summary>
/// Remembers a 128-bit keyed fingerprint of every masked value of one unique column and fails on a repeat, naming the
/// column and its rule. Thread-safe. Nulls are not counted: a unique column may hold many.
/// </summary>
public sealed class UniqueOutputGuard(string column, ColumnRule rule, KeyedHash hash)
{
    private readonly HashSet<UInt128> _seen = [];
    private readonly Lock _lock = new();

    /// <exception cref="UniquenessLostException">the value was already produced for another row.</exception>
    public void Add(object? output)
    {
        if (output is null or DBNull)
        {
            return;
        }

        Span<byte> fingerprint = stackalloc byte[KeyedHash.Size];
        hash.Of(output, fingerprint);
        var key = new UInt128(BitConverter.ToUInt64(fingerprint), BitConverter.ToUInt64(fingerprint[8..]));
        lock (_lock)
        {
            if (!_seen.Add(key))
            {
                throw new UniquenessLostException(column, rule);
            }
        }
    }
}
