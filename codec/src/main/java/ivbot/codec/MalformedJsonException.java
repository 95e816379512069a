package ivbot.codec;

/**
 * A JSON body that is not well-formed, or whose fields have the wrong JSON types. Maps to HTTP 400.
 */
public final class MalformedJsonException extends Exception
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, fit to show to the client.
     */
    public MalformedJsonException(final String message)
    {
        super(message, null, false, false);
    }
}
