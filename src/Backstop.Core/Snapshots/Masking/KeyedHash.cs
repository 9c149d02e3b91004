using System.Buffers;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Backstop.Core.Snapshots.Masking;

/// <summary>
/// HMAC-SHA256 of a value under the snapshot key. The value is hashed as its text (integers in decimal whatever their
/// width, so an int4 foreign key and the int8 key it refers to hash alike), never with the table or column: the same
/// value gives the same hash everywhere, which is what keeps masked keys joining.
/// </summary>
public sealed class KeyedHash(byte[] key)
{
    public const int Size = 32;

    private readonly byte[] _key = key.ToArray();

    /// <summary>An HMAC instance per thread, for the key it was made with: twice as fast as the one-shot HashData.</summary>
    [ThreadStatic]
    private static (byte[] Key, HMACSHA256 Hmac)? t_hmac;

    public byte[] Of(object value)
    {
        var hash = new byte[Size];
        Of(value, hash);
        return hash;
    }

    public void Of(object value, Span<byte> hash)
    {
        if (value is byte[] bytes)
        {
            Hmac().TryComputeHash(bytes, hash, out _);
            return;
        }

        var text = Text(value);
        var length = Encoding.UTF8.GetMaxByteCount(text.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Encoding.UTF8.GetBytes(text, rented);
            Hmac().TryComputeHash(rented.AsSpan(0, written), hash, out _);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>A derived hash for a purpose other than the value itself (a Feistel round, a shift), still keyed.</summary>
    public ulong Derive(string purpose, ulong input)
    {
        Span<byte> data = stackalloc byte[64];
        var written = Encoding.ASCII.GetBytes(purpose, data);
        BitConverter.TryWriteBytes(data[written..], input);
        Span<byte> hash = stackalloc byte[Size];
        HMACSHA256.HashData(_key, data[..(written + 8)], hash);
        return BitConverter.ToUInt64(hash);
    }

    private HMACSHA256 Hmac()
    {
        if (t_hmac is not { } cached || !ReferenceEquals(cached.Key, _key))
        {
            // The instance of another key (another factory) is left to its finalizer: a thread holds one at a time.
            cached = (_key, new HMACSHA256(_key));
            t_hmac = cached;
        }

        return cached.Hmac;
    }

    private static string Text(object value) => value switch
    {
        string s => s,
        short or int or long or byte => Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        Guid g => g.ToString("D"),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime t => t.TimeOfDay == TimeSpan.Zero ? t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : t.ToString("O", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IPAddress a => a.ToString(),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
