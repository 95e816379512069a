package ivbot.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ordering stage on an {@link EmbeddedChannel}, with futures the test completes by hand: responses leave
 * in request order, reading pauses at {@code maxPending} and while the channel is not writable and resumes
 * after, and every request buffer is released, answered or dropped.
 */
@Timeout(10)
class SerialRequestHandlerTest
{
    private static final int MAX_PENDING = 4;

    /** Answers each request with the future the test holds for it; writes "answer:request" or "error:request". */
    private static final class HandController extends SerialRequestHandler<ByteBuf>
    {
        final List<CompletableFuture<String>> futures = new ArrayList<>();
        final List<ByteBuf> requests = new ArrayList<>();

        HandController()
        {
            super(ByteBuf.class, MAX_PENDING);
        }

        @Override
        protected CompletableFuture<?> process(final ChannelHandlerContext ctx, final ByteBuf request)
        {
            final CompletableFuture<String> future = new CompletableFuture<>();
            futures.add(future);
            requests.add(request);
            return future;
        }

        @Override
        protected boolean respond(final ChannelHandlerContext ctx, final ByteBuf request, final Object result,
            final Throwable error)
        {
            final String text = (error == null ? result : "error") + ":" + request.toString(StandardCharsets.US_ASCII);
            ctx.write(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
            return !"close".equals(result);
        }
    }

    private static ByteBuf request(final String name)
    {
        return Unpooled.copiedBuffer(name, StandardCharsets.US_ASCII);
    }

    private static String readOutbound(final EmbeddedChannel channel)
    {
        final ByteBuf out = channel.readOutbound();
        if (out == null)
        {
            return null;
        }
        try
        {
            return out.toString(StandardCharsets.US_ASCII);
        }
        finally
        {
            out.release();
        }
    }

    @Test
    void shouldAnswerInRequestOrderWhateverOrderTheFuturesCompleteIn()
    {
        final HandController handler = new HandController();
        final EmbeddedChannel channel = new EmbeddedChannel(handler);
        final ByteBuf a = request("a");
        final ByteBuf b = request("b");
        final ByteBuf c = request("c");
        channel.writeInbound(a, b, c);
        assertEquals(1, handler.futures.size(), "one request at a time");

        handler.futures.get(0).complete("1");
        channel.runPendingTasks();
        assertEquals("1:a", readOutbound(channel));
        assertEquals(0, a.refCnt(), "an answered request is released");
        assertEquals(2, handler.futures.size());

        handler.futures.get(1).completeExceptionally(new IllegalStateException("boom"));
        channel.runPendingTasks();
        assertEquals("error:b", readOutbound(channel));
        assertEquals(0, b.refCnt(), "a failed request is released");

        handler.futures.get(2).complete("3");
        channel.runPendingTasks();
        assertEquals("3:c", readOutbound(channel));
        assertNull(readOutbound(channel));
        assertEquals(0, c.refCnt());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void shouldPauseReadingAtMaxPendingAndResumeOnceDrained()
    {
        final HandController handler = new HandController();
        final EmbeddedChannel channel = new EmbeddedChannel(handler);
        assertTrue(channel.config().isAutoRead());
        for (int i = 0; i < MAX_PENDING; i++)
        {
            channel.writeInbound(request("r" + i));
        }
        // the first is in flight, so MAX_PENDING - 1 wait: one more reaches the bound
        assertTrue(channel.config().isAutoRead(), "below maxPending reading goes on");
        channel.writeInbound(request("r" + MAX_PENDING));
        assertFalse(channel.config().isAutoRead(), "at maxPending queued requests reading stops");

        for (int i = 0; i <= MAX_PENDING; i++)
        {
            handler.futures.get(i).complete("ok");
            channel.runPendingTasks();
        }
        assertTrue(channel.config().isAutoRead(), "reading resumes once the queue has drained");
        for (int i = 0; i <= MAX_PENDING; i++)
        {
            assertEquals("ok:r" + i, readOutbound(channel));
        }
        for (final ByteBuf r : handler.requests)
        {
            assertEquals(0, r.refCnt());
        }
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void shouldStopReadingAndStartingRequestsWhileNotWritable()
    {
        final HandController handler = new HandController();
        final EmbeddedChannel channel = new EmbeddedChannel(handler);
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 2));
        // an unflushed write above the high water mark: the peer is not reading
        channel.write(Unpooled.copiedBuffer("unsent", StandardCharsets.US_ASCII));
        assertFalse(channel.isWritable());
        channel.pipeline().fireChannelWritabilityChanged();
        assertFalse(channel.config().isAutoRead(), "not writable: reading stops");

        channel.writeInbound(request("x"));
        assertEquals(0, handler.futures.size(), "not writable: no request starts");

        channel.flush();
        assertTrue(channel.isWritable());
        assertEquals("unsent", readOutbound(channel));
        assertEquals(1, handler.futures.size(), "writable again: the queued request starts");
        assertTrue(channel.config().isAutoRead(), "writable again: reading resumes");
        handler.futures.get(0).complete("ok");
        channel.runPendingTasks();
        assertEquals("ok:x", readOutbound(channel));
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void shouldReleaseQueuedRequestsWhenAResponseClosesOrTheChannelGoes()
    {
        final HandController handler = new HandController();
        final EmbeddedChannel channel = new EmbeddedChannel(handler);
        final ByteBuf first = request("first");
        final ByteBuf queued = request("queued");
        channel.writeInbound(first, queued);
        handler.futures.get(0).complete("close");
        channel.runPendingTasks();
        assertEquals("close:first", readOutbound(channel));
        assertEquals(0, first.refCnt());
        assertEquals(0, queued.refCnt(), "a closing response drops (and releases) the rest of the queue");

        final HandController other = new HandController();
        final EmbeddedChannel second = new EmbeddedChannel(other);
        final ByteBuf inFlight = request("in-flight");
        final ByteBuf waiting = request("waiting");
        second.writeInbound(inFlight, waiting);
        second.close();
        assertEquals(0, waiting.refCnt(), "a queued request is released when the channel goes");
        other.futures.get(0).complete("late");
        second.runPendingTasks();
        assertEquals(0, inFlight.refCnt(), "the request in flight is released when its answer comes");
        assertFalse(second.finishAndReleaseAll());
        channel.finishAndReleaseAll();
    }
}
