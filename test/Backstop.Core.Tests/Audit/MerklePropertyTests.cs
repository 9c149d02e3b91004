using Backstop.Core.Audit;
using FsCheck;
using FsCheck.Fluent;

namespace Backstop.Core.Tests.Audit;

/// <summary>Every leaf's audit path verifies against the root, and nothing else does, for trees of 1 to 200 leaves.</summary>
public sealed class MerklePropertyTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(300);

    [Fact]
    public void VerifyInclusion_every_leaf_of_trees_of_1_to_200_leaves_verifies_against_the_root()
    {
        for (var n = 1; n <= 200; n++)
        {
            var leaves = Leaves(n, seed: n);
            var root = MerkleTree.Root(leaves, n);
            for (var m = 0; m < n; m++)
            {
                Assert.True(MerkleTree.VerifyInclusion(leaves[m], m, n, MerkleTree.AuditPath(leaves, m, n), root), $"leaf {m} of {n}");
            }
        }
    }

    [Fact]
    public void VerifyInclusion_random_tree_and_leaf_proof_verifies_and_any_changed_leaf_or_path_element_fails()
    {
        var cases =
            from n in Gen.Choose(1, 200)
            from m in Gen.Choose(0, n - 1)
            from seed in Gen.Choose(0, int.MaxValue)
            from element in Gen.Choose(0, 15)
            from bit in Gen.Choose(0, 255)
            select (n, m, seed, element, bit);

        Check.One(Runs, Prop.ForAll(cases.ToArbitrary(), c => ProofHoldsOnlyUnchanged(c.n, c.m, c.seed, c.element, c.bit)));
    }

    private static bool ProofHoldsOnlyUnchanged(int n, int m, int seed, int element, int bit)
    {
        var leaves = Leaves(n, seed);
        var root = MerkleTree.Root(leaves, n);
        var path = MerkleTree.AuditPath(leaves, m, n);
        if (!MerkleTree.VerifyInclusion(leaves[m], m, n, path, root))
        {
            return false;
        }

        // One bit flipped in the leaf, in one path element, or in the root: each must fail.
        var leaf = Flip(leaves[m], bit);
        if (MerkleTree.VerifyInclusion(leaf, m, n, path, root) || MerkleTree.VerifyInclusion(leaves[m], m, n, path, Flip(root, bit)))
        {
            return false;
        }

        if (path.Count > 0)
        {
            var changed = path.ToList();
            var at = element % changed.Count;
            changed[at] = Flip(changed[at], bit);
            if (MerkleTree.VerifyInclusion(leaves[m], m, n, changed, root))
            {
                return false;
            }
        }

        // Another leaf's hash at this index fails too (unless the tree has one leaf).
        return n == 1 || !MerkleTree.VerifyInclusion(leaves[(m + 1) % n], m, n, path, root);
    }

    private static List<byte[]> Leaves(int n, int seed)
    {
        var random = new Random(seed);
        // Each leaf starts with its index, so no two leaves of a tree are equal (two empty ones would be, and a proof
        // for one would then rightly hold for the other).
        return Enumerable.Range(0, n).Select(i =>
        {
            var data = new byte[4 + random.Next(0, 40)];
            random.NextBytes(data);
            BitConverter.TryWriteBytes(data, i);
            return MerkleTree.LeafHash(data);
        }).ToList();
    }

    private static byte[] Flip(byte[] hash, int bit)
    {
        var copy = (byte[])hash.Clone();
        copy[bit / 8 % copy.Length] ^= (byte)(1 << (bit % 8));
        return copy;
    }
}
