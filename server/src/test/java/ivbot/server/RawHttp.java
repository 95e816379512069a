package ivbot.server;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Raw HTTP/1.1 over a real loopback socket for tests that must control every byte (headers, framing) and
 * read exactly what the server wrote: one new connection per exchange.
 */
public final class RawHttp
{
    private RawHttp()
    {
    }

    /**
     * @param token a bearer token.
     * @param body  the JSON body.
     * @return a complete {@code POST /v1/chat} request.
     */
    public static String chatRequest(final String token, final String body)
    {
        return "POST /v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
            "\r\nContent-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length +
            "\r\n\r\n" + body;
    }

    /**
     * Sends one request on a new connection and reads one response (10 s read timeout).
     *
     * @param port the server's loopback port.
     * @param raw  the request's bytes, as UTF-8 text.
     * @return the response's head and body.
     * @throws IOException when the connection fails or closes before a whole response.
     */
    public static String[] exchange(final int port, final String raw) throws IOException
    {
        try (Socket socket = new Socket("127.0.0.1", port))
        {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(raw.getBytes(StandardCharsets.UTF_8));
            return HttpApiTest.readResponse(socket.getInputStream());
        }
    }

    /**
     * @param port  the server's loopback port.
     * @param token a bearer token.
     * @param body  the JSON body.
     * @return the response's head and body.
     * @throws IOException when the exchange fails.
     */
    public static String[] chat(final int port, final String token, final String body) throws IOException
    {
        return exchange(port, chatRequest(token, body));
    }
}
