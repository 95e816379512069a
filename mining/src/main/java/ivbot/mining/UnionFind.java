package ivbot.mining;

/**
 * Disjoint sets over 0..n-1 with path halving and union by size: the connected components of a graph given edge by
 * edge. Single-threaded (the driver).
 */
final class UnionFind
{
    private final int[] parent;
    private final int[] size;

    UnionFind(final int n)
    {
        parent = new int[n];
        size = new int[n];
        for (int i = 0; i < n; i++)
        {
            parent[i] = i;
            size[i] = 1;
        }
    }

    int find(final int x)
    {
        int i = x;
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    void union(final int a, final int b)
    {
        int ra = find(a);
        int rb = find(b);
        if (ra == rb)
        {
            return;
        }
        if (size[ra] < size[rb])
        {
            final int t = ra;
            ra = rb;
            rb = t;
        }
        parent[rb] = ra;
        size[ra] += size[rb];
    }
}
