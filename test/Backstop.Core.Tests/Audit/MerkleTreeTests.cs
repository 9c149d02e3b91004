using Backstop.Core.Audit;

namespace Backstop.Core.Tests.Audit;

/// <summary>
/// The tree of RFC 6962 §2.1: roots and audit paths against the test vectors of Certificate Transparency (the eight
/// leaves below, used by the RFC's reference implementations), and against the RFC's recursive definitions, written
/// out literally in <see cref="ReferenceMerkle"/>.
/// </summary>
public sealed class MerkleTreeTests
{
    private static readonly byte[][] VectorLeaves =
        new[] { "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f" }
            .Select(Convert.FromHexString).ToArray();

    private static readonly string[] VectorRoots =
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    [Fact]
    public void Root_test_vector_trees_of_1_to_8_leaves_match_the_published_roots()
    {
        var leaves = VectorLeaves.Select(l => MerkleTree.LeafHash(l)).ToList();

        var roots = Enumerable.Range(1, 8).Select(n => Convert.ToHexStringLower(MerkleTree.Root(leaves, n)));

        Assert.Equal(VectorRoots, roots);
    }

    [Theory]
    [InlineData(0, 8, new[] { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" })]
    [InlineData(5, 6, new[] { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" })]
    [InlineData(2, 3, new[] { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" })]
    [InlineData(0, 1, new string[0])]
    public void AuditPath_test_vector_leaves_match_the_published_paths_and_verify(int index, int size, string[] expected)
    {
        var leaves = VectorLeaves.Select(l => MerkleTree.LeafHash(l)).ToList();

        var path = MerkleTree.AuditPath(leaves, index, size);

        Assert.Equal(expected, path.Select(Convert.ToHexStringLower));
        Assert.True(MerkleTree.VerifyInclusion(leaves[index], index, size, path, Convert.FromHexString(VectorRoots[size - 1])));
    }

    [Fact]
    public void Root_and_AuditPath_trees_of_1_to_70_leaves_equal_the_RFC_definitions()
    {
        var leaves = Enumerable.Range(0, 70).Select(i => MerkleTree.LeafHash(BitConverter.GetBytes(i))).ToList();

        for (var n = 1; n <= 70; n++)
        {
            var prefix = leaves.Take(n).ToList();
            Assert.Equal(ReferenceMerkle.Root(prefix), MerkleTree.Root(leaves, n));
            for (var m = 0; m < n; m++)
            {
                Assert.Equal(ReferenceMerkle.Path(m, prefix), MerkleTree.AuditPath(leaves, m, n));
            }
        }
    }

    [Fact]
    public void MerkleFrontier_appended_leaves_root_of_every_prefix_equals_Root()
    {
        var leaves = Enumerable.Range(0, 300).Select(i => MerkleTree.LeafHash(BitConverter.GetBytes(i))).ToList();
        var frontier = new MerkleFrontier();

        foreach (var leaf in leaves)
        {
            frontier.Append(leaf);
            Assert.Equal(MerkleTree.Root(leaves, (int)frontier.Size), frontier.Root());
        }
    }

    [Fact]
    public void VerifyInclusion_index_beyond_size_or_path_too_long_or_short_or_size_of_another_shape_fails()
    {
        var leaves = Enumerable.Range(0, 13).Select(i => MerkleTree.LeafHash(BitConverter.GetBytes(i))).ToList();
        var root = MerkleTree.Root(leaves, 13);
        var path = MerkleTree.AuditPath(leaves, 4, 13);

        Assert.True(MerkleTree.VerifyInclusion(leaves[4], 4, 13, path, root));
        Assert.False(MerkleTree.VerifyInclusion(leaves[4], 13, 13, path, root));
        Assert.False(MerkleTree.VerifyInclusion(leaves[4], 4, 13, [.. path, path[0]], root));
        Assert.False(MerkleTree.VerifyInclusion(leaves[4], 4, 13, path.Take(path.Count - 1).ToList(), root));
        Assert.False(MerkleTree.VerifyInclusion(leaves[4], 4, 8, path, root));
    }

    [Fact]
    public void Root_100000_leaves_is_the_frontier_root()
    {
        var leaves = Enumerable.Range(0, 100_000).Select(i => MerkleTree.LeafHash(BitConverter.GetBytes(i))).ToList();
        var frontier = new MerkleFrontier();
        leaves.ForEach(frontier.Append);

        Assert.Equal(frontier.Root(), MerkleTree.Root(leaves, leaves.Count));
    }
}
