package ivbot.inference.rules;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable character trie of literal cues, answering "which is the longest cue that starts at this
 * index of the text". Built once at load and then read by any number of threads without locking; a lookup
 * allocates nothing.
 * <p>
 * Nodes are flattened into arrays: the children of node {@code n} are the entries
 * {@code [childStart[n], childStart[n + 1])} of {@code childChars} (sorted, searched by bisection) and
 * {@code childNodes}. Node 0 is the root.
 * <p>
 * A cue that begins (ends) with an ASCII letter or digit only matches where the text has no ASCII letter or
 * digit just before (after) it, so that {@code "hr"} does not match inside {@code "three"} nor {@code "hi"}
 * inside {@code "this"}.
 */
final class CueTrie
{
    private final int[] childStart;
    private final char[] childChars;
    private final int[] childNodes;
    private final int[] terminalCue;
    private final String[] cues;
    private final int[] targets;
    private final float[] weights;

    private CueTrie(
        final int[] childStart,
        final char[] childChars,
        final int[] childNodes,
        final int[] terminalCue,
        final String[] cues,
        final int[] targets,
        final float[] weights)
    {
        this.childStart = childStart;
        this.childChars = childChars;
        this.childNodes = childNodes;
        this.terminalCue = terminalCue;
        this.cues = cues;
        this.targets = targets;
        this.weights = weights;
    }

    /**
     * @param text  normalised text.
     * @param start index in {@code text} where the cue must begin.
     * @return the index of the longest cue that occurs in {@code text} at {@code start} and respects the
     * ASCII word boundary rule, or -1 when none does.
     */
    int longestAt(final String text, final int start)
    {
        if (start > 0 && isAsciiWordChar(text.charAt(start - 1)) && isAsciiWordChar(text.charAt(start)))
        {
            // no cue may start inside an ASCII word; Chinese cues never begin with a word character
            return -1;
        }

        final int[] childStart = this.childStart;
        final char[] childChars = this.childChars;
        final int[] childNodes = this.childNodes;
        final int[] terminalCue = this.terminalCue;
        final int length = text.length();

        int node = 0;
        int found = -1;
        for (int i = start; i < length; i++)
        {
            final char c = text.charAt(i);
            final int index = Arrays.binarySearch(childChars, childStart[node], childStart[node + 1], c);
            if (index < 0)
            {
                break;
            }
            node = childNodes[index];
            final int cue = terminalCue[node];
            if (cue >= 0 && (i + 1 == length || !isAsciiWordChar(c) || !isAsciiWordChar(text.charAt(i + 1))))
            {
                found = cue;
            }
        }
        return found;
    }

    /**
     * @param cue a cue index returned by {@link #longestAt(String, int)}.
     * @return the cue's length in chars.
     */
    int length(final int cue)
    {
        return cues[cue].length();
    }

    /**
     * @param cue a cue index.
     * @return the cue's target (an intent or audience ordinal), or -1 for a blocker cue that only hides the
     * shorter cues it contains.
     */
    int target(final int cue)
    {
        return targets[cue];
    }

    /**
     * @param cue a cue index.
     * @return the weight the cue adds to its target's score.
     */
    float weight(final int cue)
    {
        return weights[cue];
    }

    /**
     * @param cue a cue index.
     * @return the cue's normalised text.
     */
    String cue(final int cue)
    {
        return cues[cue];
    }

    /**
     * @return the number of cues.
     */
    int size()
    {
        return cues.length;
    }

    static boolean isAsciiWordChar(final char c)
    {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
    }

    /**
     * Collects cues; not thread-safe, used once at load.
     */
    static final class Builder
    {
        private final Map<String, Integer> indexByCue = new HashMap<>();
        private final List<String> cues = new ArrayList<>();
        private final List<Integer> targets = new ArrayList<>();
        private final List<Float> weights = new ArrayList<>();

        /**
         * @param cue    normalised, non-empty cue text.
         * @param target intent or audience ordinal, or -1 for a blocker.
         * @param weight score the cue adds to {@code target}.
         * @throws IllegalArgumentException when the cue is empty or was already added.
         */
        Builder add(final String cue, final int target, final float weight)
        {
            if (cue.isEmpty())
            {
                throw new IllegalArgumentException("cue is empty");
            }
            if (indexByCue.putIfAbsent(cue, cues.size()) != null)
            {
                throw new IllegalArgumentException("duplicate cue: " + cue);
            }
            cues.add(cue);
            targets.add(target);
            weights.add(weight);
            return this;
        }

        CueTrie build()
        {
            // build with sorted maps, then flatten so that each node's children are contiguous and sorted
            final List<TreeMap<Character, Integer>> children = new ArrayList<>();
            final List<Integer> terminals = new ArrayList<>();
            children.add(new TreeMap<>());
            terminals.add(-1);
            for (int cue = 0; cue < cues.size(); cue++)
            {
                final String text = cues.get(cue);
                int node = 0;
                for (int i = 0; i < text.length(); i++)
                {
                    final Integer next = children.get(node).get(text.charAt(i));
                    if (next == null)
                    {
                        final int created = children.size();
                        children.add(new TreeMap<>());
                        terminals.add(-1);
                        children.get(node).put(text.charAt(i), created);
                        node = created;
                    }
                    else
                    {
                        node = next;
                    }
                }
                terminals.set(node, cue);
            }

            final int nodeCount = children.size();
            final int[] childStart = new int[nodeCount + 1];
            final char[] childChars = new char[nodeCount - 1];
            final int[] childNodes = new int[nodeCount - 1];
            final int[] terminalCue = new int[nodeCount];
            int edge = 0;
            for (int node = 0; node < nodeCount; node++)
            {
                childStart[node] = edge;
                terminalCue[node] = terminals.get(node);
                for (final Map.Entry<Character, Integer> entry : children.get(node).entrySet())
                {
                    childChars[edge] = entry.getKey();
                    childNodes[edge] = entry.getValue();
                    edge++;
                }
            }
            childStart[nodeCount] = edge;

            final float[] weightArray = new float[weights.size()];
            for (int i = 0; i < weightArray.length; i++)
            {
                weightArray[i] = weights.get(i);
            }
            return new CueTrie(
                childStart,
                childChars,
                childNodes,
                terminalCue,
                cues.toArray(new String[0]),
                targets.stream().mapToInt(Integer::intValue).toArray(),
                weightArray);
        }
    }
}
