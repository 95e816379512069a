package ivbot.server.robust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ivbot.inference.rules.RuleClassifier;
import ivbot.server.HttpApiTest;
import ivbot.server.TestServer;
import ivbot.server.intent.ModelChatTest;
import ivbot.server.intent.IntentClassifier;
import ivbot.server.intent.ModelRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Far more model work than the inference thread can do: 48 connections pipelining unique queries, no
 * cache, no rules-first, a queue of 8. Every request must still be answered at once, by the rules with the reason, and the
 * model must serve normally again afterwards.
 */
@Timeout(180)
class OverloadTest
{
    @Test
    void shouldDegradeToFallbacksAndRecover() throws Exception
    {
        final ModelRuntime.Settings settings = ModelChatTest.settings(TestServer.repoRoot().resolve("models/repository/intent"));
        settings.maxBatchSize = 4;
        settings.queueCapacity = 8;
        try (ModelRuntime runtime = ModelRuntime.start(settings, () -> { });
             TestServer server = TestServer.start(new IntentClassifier(RuleClassifier.loadDefault(TestServer.catalog()), runtime.agent(), 0, 100, 0.9f, false)))
        {
            final String token = TestServer.token("flood");
            // each connection is answered in order, one request at a time: many connections make the
            // concurrent model requests (48) far exceed the queue (8)
            final int connections = 48;
            final int perConnection = 60;
            final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
            final AtomicInteger bad = new AtomicInteger();
            final Thread[] readers = new Thread[connections];
            final Socket[] sockets = new Socket[connections];
            for (int c = 0; c < connections; c++)
            {
                final Socket socket = new Socket("127.0.0.1", server.port());
                socket.setSoTimeout(60_000);
                sockets[c] = socket;
                final int id = c;
                final Thread writer = new Thread(() -> write(socket, token, id, perConnection));
                writer.start();
                readers[c] = new Thread(() ->
                {
                    try
                    {
                        final InputStream in = socket.getInputStream();
                        final ObjectMapper json = new ObjectMapper();
                        for (int i = 0; i < perConnection; i++)
                        {
                            final String[] response = HttpApiTest.readResponse(in);
                            final String head = response[0];
                            final JsonNode reply = json.readTree(response[1]);
                            if (!head.startsWith("HTTP/1.1 200"))
                            {
                                bad.incrementAndGet();
                                continue;
                            }
                            final String outcome = reply.path("source").asText() + "/" + reply.path("fallback_reason").asText("-");
                            outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
                        }
                    }
                    catch (final IOException | RuntimeException ex)
                    {
                        bad.incrementAndGet();
                    }
                });
                readers[c].start();
            }
            for (final Thread reader : readers)
            {
                reader.join(120_000);
            }
            for (final Socket socket : sockets)
            {
                socket.close();
            }
            long answered = 0;
            for (final LongAdder count : outcomes.values())
            {
                answered += count.sum();
            }
            assertEquals(0, bad.get(), "every request answered 200: " + outcomes);
            assertEquals(connections * perConnection, answered);
            final long shed = outcomes.getOrDefault("rules/queue_full", new LongAdder()).sum()
                + outcomes.getOrDefault("rules/deadline", new LongAdder()).sum();
            assertTrue(shed > 0, "overload was shed to the rules: " + outcomes);
            assertTrue(runtime.agent().queueDepth() <= settings.queueCapacity);

            // back to normal within seconds: the model answers again (a bounded number of tries)
            String source = "";
            for (int attempt = 0; attempt < 50 && !"model".equals(source); attempt++)
            {
                try (Socket socket = server.connect(10_000))
                {
                    write(socket, token, 100 + attempt, 1);
                    source = new ObjectMapper().readTree(HttpApiTest.readResponse(socket.getInputStream())[1])
                        .path("source").asText();
                }
            }
            assertEquals("model", source, "the model serves again after the flood");
        }
    }

    private static void write(final Socket socket, final String token, final int id, final int count)
    {
        try
        {
            final OutputStream out = socket.getOutputStream();
            for (int i = 0; i < count; i++)
            {
                final byte[] body = ("{\"query\":\"年假几天 " + id + "-" + i + "\"}").getBytes(StandardCharsets.UTF_8);
                out.write(("POST /v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
            }
            out.flush();
        }
        catch (final IOException ex)
        {
            // the reader reports what went missing
        }
    }
}
