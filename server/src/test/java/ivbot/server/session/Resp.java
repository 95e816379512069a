package ivbot.server.session;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal blocking RESP2 client for test set-up and checks, independent of the Lettuce code under test:
 * one connection per call, 2 s connect and read timeouts, loopback only.
 *
 * <pre>
 *   request  *N\r\n  then N times  $len\r\n arg \r\n
 *   reply    +simple  -error  :integer  $len bulk ($-1 null)  *N array (*-1 null)
 * </pre>
 */
final class Resp
{
    private static final int TIMEOUT_MS = 2000;

    private Resp()
    {
    }

    /**
     * A {@code -ERR ...} reply.
     */
    static final class ErrorReply extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        ErrorReply(final String message)
        {
            super(message, null, false, false);
        }
    }

    /**
     * @param port a loopback port.
     * @param args the command and its arguments.
     * @return a String (simple or bulk), Long, List of replies, or null.
     * @throws ErrorReply for an error reply.
     * @throws UncheckedIOException when nothing answers.
     */
    static Object call(final int port, final String... args)
    {
        try (Socket socket = new Socket())
        {
            socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
            socket.setSoTimeout(TIMEOUT_MS);
            final OutputStream out = socket.getOutputStream();
            final ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.UTF_8));
            for (final String arg : args)
            {
                final byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
                request.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.UTF_8));
                request.writeBytes(bytes);
                request.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
            }
            out.write(request.toByteArray());
            out.flush();
            return read(new BufferedInputStream(socket.getInputStream()));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("127.0.0.1:" + port + " " + args[0] + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * @return whether something on {@code port} answers PING.
     */
    static boolean pings(final int port)
    {
        try
        {
            return "PONG".equals(call(port, "PING"));
        }
        catch (final RuntimeException ex)
        {
            return false;
        }
    }

    /**
     * @return the fields of an {@code INFO section} reply, e.g. {@code role -> master}.
     */
    static Map<String, String> info(final int port, final String section)
    {
        final Map<String, String> fields = new LinkedHashMap<>();
        for (final String line : ((String)call(port, "INFO", section)).split("\r\n"))
        {
            final int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#"))
            {
                fields.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return fields;
    }

    /**
     * HGETALL that follows one MOVED redirect (Cluster).
     *
     * @return the hash, empty when absent.
     */
    static Map<String, String> hgetall(final int port, final String key)
    {
        Object reply;
        try
        {
            reply = call(port, "HGETALL", key);
        }
        catch (final ErrorReply moved)
        {
            if (!moved.getMessage().startsWith("MOVED"))
            {
                throw moved;
            }
            final String target = moved.getMessage().split(" ")[2];
            reply = call(Integer.parseInt(target.substring(target.lastIndexOf(':') + 1)), "HGETALL", key);
        }
        final List<?> list = (List<?>)reply;
        final Map<String, String> hash = new LinkedHashMap<>();
        for (int i = 0; i + 1 < list.size(); i += 2)
        {
            hash.put((String)list.get(i), (String)list.get(i + 1));
        }
        return hash;
    }

    private static Object read(final InputStream in) throws IOException
    {
        final int type = in.read();
        final String line = line(in);
        switch (type)
        {
            case '+':
                return line;
            case '-':
                throw new ErrorReply(line);
            case ':':
                return Long.parseLong(line);
            case '$':
            {
                final int length = Integer.parseInt(line);
                if (length < 0)
                {
                    return null;
                }
                final byte[] bytes = in.readNBytes(length);
                line(in);
                return new String(bytes, StandardCharsets.UTF_8);
            }
            case '*':
            {
                final int count = Integer.parseInt(line);
                if (count < 0)
                {
                    return null;
                }
                final List<Object> items = new ArrayList<>(count);
                for (int i = 0; i < count; i++)
                {
                    items.add(read(in));
                }
                return items;
            }
            case -1:
                throw new EOFException("connection closed");
            default:
                throw new IOException("unexpected reply type " + (char)type);
        }
    }

    private static String line(final InputStream in) throws IOException
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\r')
        {
            if (b == -1)
            {
                throw new EOFException("connection closed");
            }
            bytes.write(b);
        }
        in.read();
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
