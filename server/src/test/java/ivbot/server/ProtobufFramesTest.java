package ivbot.server;

import ivbot.proto.Auth;
import ivbot.proto.ChatReply;
import ivbot.proto.ChatRequest;
import ivbot.proto.Frame;
import ivbot.proto.Heartbeat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class ProtobufFramesTest
{
    private static TestServer server;

    @BeforeAll
    static void start()
    {
        server = TestServer.start();
    }

    @AfterAll
    static void stop()
    {
        server.close();
    }

    private static Socket connect() throws IOException
    {
        return server.connect(10_000);
    }

    private static Frame chat(final long id, final String sessionId, final String query)
    {
        return Frame.newBuilder().setChatRequest(ChatRequest.newBuilder()
            .setRequestId(id).setSessionId(sessionId).setQuery(query)).build();
    }

    private static Frame auth(final String token)
    {
        return Frame.newBuilder().setAuth(Auth.newBuilder().setToken(token)).build();
    }

    @Test
    void shouldAuthenticateConnectionThenHoldAConversation() throws IOException
    {
        try (Socket socket = connect())
        {
            final OutputStream out = socket.getOutputStream();
            final InputStream in = socket.getInputStream();
            auth(TestServer.token("pb-user")).writeDelimitedTo(out);
            final Frame ok = Frame.parseDelimitedFrom(in);
            assertEquals("pb-user", ok.getAuthOk().getSubject());

            chat(1, "", "校招生年假几天?").writeDelimitedTo(out);
            final ChatReply first = Frame.parseDelimitedFrom(in).getChatReply();
            assertEquals(1, first.getRequestId());
            assertEquals("leave_annual", first.getIntent());
            assertEquals("campus", first.getAudience());

            chat(2, first.getSessionId(), "那病假呢").writeDelimitedTo(out);
            final ChatReply second = Frame.parseDelimitedFrom(in).getChatReply();
            assertEquals(2, second.getRequestId());
            assertEquals(first.getSessionId(), second.getSessionId());
            assertEquals("leave_sick", second.getIntent());
            assertEquals("campus", second.getAudience());

            Frame.newBuilder().setHeartbeat(Heartbeat.newBuilder().setRequestId(3).setSessionId(first.getSessionId()))
                .build().writeDelimitedTo(out);
            final Frame ack = Frame.parseDelimitedFrom(in);
            assertEquals(3, ack.getHeartbeatAck().getRequestId());
            assertEquals(600, ack.getHeartbeatAck().getTtlSeconds());
        }
    }

    @Test
    void shouldAnswerPipelinedRequestsWithTheirRequestIds() throws IOException
    {
        try (Socket socket = connect())
        {
            final ByteArrayOutputStream batch = new ByteArrayOutputStream();
            final String token = TestServer.token("pb-pipeline");
            for (int i = 1; i <= 200; i++)
            {
                Frame.newBuilder().setChatRequest(ChatRequest.newBuilder()
                    .setRequestId(1000 + i).setQuery(i % 2 == 0 ? "婚假几天" : "公积金比例多少").setToken(token))
                    .build().writeDelimitedTo(batch);
            }
            socket.getOutputStream().write(batch.toByteArray());
            for (int i = 1; i <= 200; i++)
            {
                final ChatReply reply = Frame.parseDelimitedFrom(socket.getInputStream()).getChatReply();
                assertEquals(1000 + i, reply.getRequestId());
                assertEquals(i % 2 == 0 ? "leave_marriage" : "social_insurance", reply.getIntent());
            }
        }
    }

    @Test
    void shouldAnswerErrorFrameForUnauthenticatedAndBadRequestsAndKeepConnection() throws IOException
    {
        try (Socket socket = connect())
        {
            final OutputStream out = socket.getOutputStream();
            final InputStream in = socket.getInputStream();
            chat(5, "", "年假几天").writeDelimitedTo(out);
            final Frame unauth = Frame.parseDelimitedFrom(in);
            assertEquals(5, unauth.getError().getRequestId());
            assertEquals(401, unauth.getError().getStatus());

            final String expired = TestServer.ISSUER.issue("x", null, Duration.ofMinutes(1), System.currentTimeMillis() - 7_200_000);
            auth(expired).writeDelimitedTo(out);
            final Frame expiredError = Frame.parseDelimitedFrom(in);
            assertEquals("token expired", expiredError.getError().getMessage());

            auth(TestServer.token("pb-bad")).writeDelimitedTo(out);
            assertTrue(Frame.parseDelimitedFrom(in).hasAuthOk());
            chat(6, "", "").writeDelimitedTo(out);
            final Frame empty = Frame.parseDelimitedFrom(in);
            assertEquals(6, empty.getError().getRequestId());
            assertEquals(400, empty.getError().getStatus());
            chat(7, "", "年假几天").writeDelimitedTo(out);
            assertEquals("leave_annual", Frame.parseDelimitedFrom(in).getChatReply().getIntent());
        }
    }

    @Test
    void shouldAnswerErrorFrameAndCloseOnOversizeFrame() throws IOException
    {
        try (Socket socket = connect())
        {
            // length prefix of 1 MiB: over the 16 KiB limit before any body arrives
            socket.getOutputStream().write(new byte[] {(byte)0x80, (byte)0x80, 0x40});
            final Frame error = Frame.parseDelimitedFrom(socket.getInputStream());
            assertEquals("frame_too_large", error.getError().getCode());
            assertEquals(-1, socket.getInputStream().read());
        }
    }

    @Test
    void shouldAnswerErrorFrameAndCloseOnGarbage() throws IOException
    {
        try (Socket socket = connect())
        {
            socket.getOutputStream().write(new byte[] {4, 0x0F, 0x7F, 0x7F, 0x7F});
            final Frame error = Frame.parseDelimitedFrom(socket.getInputStream());
            assertEquals("bad_frame", error.getError().getCode());
            assertEquals(400, error.getError().getStatus());
            assertEquals(-1, socket.getInputStream().read());
        }
    }
}
