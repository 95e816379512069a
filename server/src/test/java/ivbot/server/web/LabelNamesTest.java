package ivbot.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import ivbot.inference.Audience;
import ivbot.inference.Intent;
import ivbot.server.TestServer;
import ivbot.server.http.StaticContent;
import ivbot.server.kb.KnowledgeBase;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /static/labels.js}, the id-to-name map the chat page shows candidates, is in step with the label
 * contract ({@code shared/spec/intents.json}, when it is beside the repository), with every intent and
 * audience the server knows, and with the knowledge base's titles; and it is served as a page asset.
 */
class LabelNamesTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode labels() throws IOException
    {
        try (InputStream in = StaticContent.class.getResourceAsStream("/ivbot/web/labels.js"))
        {
            assertNotNull(in, "labels.js is packed with the pages");
            final String js = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return JSON.readTree(js.substring(js.indexOf('{'), js.lastIndexOf('}') + 1));
        }
    }

    private static Map<String, String> names(final JsonNode object)
    {
        final Map<String, String> out = new LinkedHashMap<>();
        for (final Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); )
        {
            final Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    @Test
    void shouldNameEveryIntentAsTheKnowledgeBaseTitlesIt() throws IOException
    {
        final Map<String, String> intents = names(labels().path("intents"));
        final KnowledgeBase kb = KnowledgeBase.load(TestServer.repoRoot().resolve("models/kb"), TestServer.catalog());
        final List<String> ids = new ArrayList<>();
        for (final Intent intent : TestServer.catalog().intents())
        {
            ids.add(intent.id());
            assertEquals(kb.title(intent), intents.get(intent.id()), intent.id());
        }
        assertEquals(ids, new ArrayList<>(intents.keySet()), "every intent once, in the contract's order");
        assertTrue(intents.values().stream().noneMatch(String::isBlank));

        final Map<String, String> audiences = names(labels().path("audiences"));
        assertEquals(Audience.values().length, audiences.size());
        for (final Audience audience : Audience.values())
        {
            assertEquals(audience.zh(), audiences.get(audience.id()), audience.id());
        }
    }

    @Test
    void shouldMatchTheLabelContractWhenItIsBesideTheRepository() throws IOException
    {
        final Path contract = TestServer.repoRoot().resolveSibling("shared").resolve("spec/intents.json");
        if (!Files.isRegularFile(contract))
        {
            return;
        }
        final JsonNode spec = JSON.readTree(contract.toFile());
        final Map<String, String> intents = new LinkedHashMap<>();
        spec.path("intents").forEach(i -> intents.put(i.path("id").asText(), i.path("zh").asText()));
        final Map<String, String> audiences = new LinkedHashMap<>();
        spec.path("audiences").forEach(a -> audiences.put(a.path("id").asText(), a.path("zh").asText()));
        assertEquals(intents, names(labels().path("intents")));
        assertEquals(audiences, names(labels().path("audiences")));
    }

    @Test
    void shouldServeTheNamesAsAPageAsset()
    {
        final FullHttpResponse response = new StaticContent(null)
            .lookup("/static/labels.js", UnpooledByteBufAllocator.DEFAULT, false);
        try
        {
            assertNotNull(response);
            assertTrue(response.headers().get(HttpHeaderNames.CONTENT_TYPE).startsWith("text/javascript"));
            assertTrue(response.content().toString(StandardCharsets.UTF_8).contains("\"leave_annual\": \"年假\""));
        }
        finally
        {
            response.release();
        }
    }
}
