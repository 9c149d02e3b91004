namespace Backstop.Core.Audit;

/// <summary>
/// The roots of the perfect subtrees a growing log of leaves decomposes into (at most one per power of two), so that
/// the RFC 6962 root of every prefix is at hand while the leaves stream past: O(log n) memory, each leaf hashed into
/// the frontier once. The root of n leaves folds those subtree roots from the smallest (rightmost) to the largest,
/// which is MTH(D[n]) because RFC 6962 splits n at the largest power of two below it, and again in the remainder.
/// </summary>
internal sealed class MerkleFrontier
{
    private readonly List<(int Height, byte[] Hash)> _subtrees = [];

    public long Size { get; private set; }

    public void Append(byte[] leafHash)
    {
        var node = leafHash;
        var height = 0;
        while (_subtrees.Count > 0 && _subtrees[^1].Height == height)
        {
            node = MerkleTree.NodeHash(_subtrees[^1].Hash, node);
            _subtrees.RemoveAt(_subtrees.Count - 1);
            height++;
        }

        _subtrees.Add((height, node));
        Size++;
    }

    /// <summary>MTH of the leaves appended so far; there must be at least one.</summary>
    public byte[] Root()
    {
        if (_subtrees.Count == 0)
        {
            throw new InvalidOperationException("the tree of no leaves has no root here: an audit log's checkpoints cover one entry or more");
        }

        var root = _subtrees[^1].Hash;
        for (var i = _subtrees.Count - 2; i >= 0; i--)
        {
            root = MerkleTree.NodeHash(_subtrees[i].Hash, root);
        }

        return root;
    }
}
