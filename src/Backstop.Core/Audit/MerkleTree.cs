using System.Security.Cryptography;

namespace Backstop.Core.Audit;

/// <summary>
/// The Merkle hash tree of RFC 6962 §2.1 (https://www.rfc-editor.org/rfc/rfc6962#section-2.1), over SHA-256: a leaf
/// is <c>SHA-256(0x00 || data)</c>, an interior node <c>SHA-256(0x01 || left || right)</c>, and the tree of n leaves
/// splits them at the largest power of two smaller than n. Built bottom-up, level by level, in one buffer: pairing
/// neighbours and carrying an odd last node up unchanged gives exactly that split, without recursion.
/// </summary>
internal static class MerkleTree
{
    public const int HashSize = SHA256.HashSizeInBytes;

    private const byte LeafPrefix = 0x00;
    private const byte NodePrefix = 0x01;

    /// <summary><c>SHA-256(0x00 || data)</c>.</summary>
    public static byte[] LeafHash(ReadOnlySpan<byte> data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([LeafPrefix]);
        hash.AppendData(data);
        return hash.GetHashAndReset();
    }

    /// <summary><c>SHA-256(0x01 || left || right)</c>, written to <paramref name="destination"/> (which may overlap either input).</summary>
    public static void NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[1 + (2 * HashSize)];
        input[0] = NodePrefix;
        left.CopyTo(input[1..]);
        right.CopyTo(input[(1 + HashSize)..]);
        SHA256.HashData(input, destination);
    }

    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var node = new byte[HashSize];
        NodeHash(left, right, node);
        return node;
    }

    /// <summary>MTH(D[n]) of the first <paramref name="size"/> leaf hashes.</summary>
    public static byte[] Root(IReadOnlyList<byte[]> leafHashes, int size)
    {
        var levels = Level(leafHashes, size);
        for (var count = size; count > 1; count = (count + 1) / 2)
        {
            Reduce(levels, count);
        }

        return levels[..HashSize];
    }

    /// <summary>
    /// PATH(m, D[n]) of RFC 6962 §2.1.1: the sibling hashes from the leaf at <paramref name="index"/> (m, from 0) up to
    /// the root of the first <paramref name="size"/> leaves. A node without a sibling on its level (the odd last one)
    /// contributes nothing there, as in the RFC's unbalanced right subtrees.
    /// </summary>
    public static IReadOnlyList<byte[]> AuditPath(IReadOnlyList<byte[]> leafHashes, long index, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, size);
        var level = Level(leafHashes, size);
        var path = new List<byte[]>();
        var at = (int)index;
        for (var count = size; count > 1; count = (count + 1) / 2)
        {
            var sibling = at ^ 1;
            if (sibling < count)
            {
                path.Add(level.AsSpan(sibling * HashSize, HashSize).ToArray());
            }

            Reduce(level, count);
            at /= 2;
        }

        return path;
    }

    /// <summary>
    /// Whether <paramref name="path"/> proves the leaf <paramref name="leafHash"/> at <paramref name="index"/> in the
    /// tree of <paramref name="size"/> leaves whose root is <paramref name="root"/>: the algorithm of RFC 9162 §2.1.3.2
    /// (https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2), step for step.
    /// </summary>
    public static bool VerifyInclusion(ReadOnlySpan<byte> leafHash, long index, long size, IReadOnlyList<byte[]> path, ReadOnlySpan<byte> root)
    {
        if (index < 0 || index >= size || leafHash.Length != HashSize || root.Length != HashSize)
        {
            return false;
        }

        var fn = index;
        var sn = size - 1;
        Span<byte> r = stackalloc byte[HashSize];
        leafHash.CopyTo(r);
        foreach (var p in path)
        {
            if (sn == 0 || p.Length != HashSize)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                NodeHash(p, r, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                NodeHash(r, p, r);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && CryptographicOperations.FixedTimeEquals(r, root);
    }

    /// <summary>The first <paramref name="size"/> leaf hashes, one after the other in one array.</summary>
    private static byte[] Level(IReadOnlyList<byte[]> leafHashes, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, leafHashes.Count);
        var level = new byte[size * HashSize];
        for (var i = 0; i < size; i++)
        {
            leafHashes[i].AsSpan().CopyTo(level.AsSpan(i * HashSize, HashSize));
        }

        return level;
    }

    /// <summary>Replaces the first <paramref name="count"/> nodes of a level by the (count + 1) / 2 nodes of the level above.</summary>
    private static void Reduce(byte[] level, int count)
    {
        var span = level.AsSpan();
        for (var i = 0; i + 1 < count; i += 2)
        {
            NodeHash(span.Slice(i * HashSize, HashSize), span.Slice((i + 1) * HashSize, HashSize), span.Slice(i / 2 * HashSize, HashSize));
        }

        if (count % 2 == 1)
        {
            span.Slice((count - 1) * HashSize, HashSize).CopyTo(span.Slice((count - 1) / 2 * HashSize, HashSize));
        }
    }
}
