package ivbot.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * A free TCP port on the loopback address, found by binding port 0 and closing the socket: another process may
 * take it before the child binds it, which the launchers report as a child that did not start.
 */
public final class FreePort
{
    private FreePort()
    {
    }

    /**
     * @return a port that was free on 127.0.0.1 a moment ago.
     */
    public static int next()
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
