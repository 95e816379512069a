package ivbot.mining;

/**
 * One distinct not-understood question.
 *
 * @param id    its dense id (0..n-1).
 * @param text  the normalized question.
 * @param raw   one raw form of it, as a user typed it.
 * @param turns how many not-understood turns asked it.
 * @param label its true intent where the input carries one, else empty.
 */
public record Question(int id, String text, String raw, long turns, String label)
{
}
