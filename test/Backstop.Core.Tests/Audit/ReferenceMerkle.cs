using System.Security.Cryptography;

namespace Backstop.Core.Tests.Audit;

/// <summary>RFC 6962 §2.1 and §2.1.1 transcribed literally (recursive, slow), to hold the real implementation to.</summary>
internal static class ReferenceMerkle
{
    /// <summary>MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two smaller than n.</summary>
    public static byte[] Root(IReadOnlyList<byte[]> leafHashes)
    {
        if (leafHashes.Count == 1)
        {
            return leafHashes[0];
        }

        var k = Split(leafHashes.Count);
        return Node(Root(leafHashes.Take(k).ToList()), Root(leafHashes.Skip(k).ToList()));
    }

    /// <summary>PATH(m, D[n]): PATH(m, D[0:k]) : MTH(D[k:n]) for m &lt; k, else PATH(m − k, D[k:n]) : MTH(D[0:k]).</summary>
    public static List<byte[]> Path(int m, IReadOnlyList<byte[]> leafHashes)
    {
        if (leafHashes.Count == 1)
        {
            return [];
        }

        var k = Split(leafHashes.Count);
        var left = leafHashes.Take(k).ToList();
        var right = leafHashes.Skip(k).ToList();
        return m < k ? [.. Path(m, left), Root(right)] : [.. Path(m - k, right), Root(left)];
    }

    private static int Split(int n)
    {
        var k = 1;
        while (k * 2 < n)
        {
            k *= 2;
        }

        return k;
    }

    private static byte[] Node(byte[] left, byte[] right) => SHA256.HashData([0x01, .. left, .. right]);
}
