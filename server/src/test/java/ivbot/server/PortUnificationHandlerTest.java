package ivbot.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class PortUnificationHandlerTest
{
    private static String detect(final byte[] firstBytes, final int split)
    {
        final String[] chosen = new String[1];
        final EmbeddedChannel ch = new EmbeddedChannel(new PortUnificationHandler(new PortUnificationHandler.ProtocolInstaller()
        {
            @Override
            public void installHttp(final ChannelPipeline pipeline)
            {
                chosen[0] = "http";
                pipeline.addLast(new ChannelInboundHandlerAdapter());
            }

            @Override
            public void installFrames(final ChannelPipeline pipeline)
            {
                chosen[0] = "frames";
                pipeline.addLast(new ChannelInboundHandlerAdapter());
            }
        }));
        ch.writeInbound(Unpooled.wrappedBuffer(firstBytes, 0, split));
        if (split < firstBytes.length)
        {
            ch.writeInbound(Unpooled.wrappedBuffer(firstBytes, split, firstBytes.length - split));
        }
        assertNull(ch.pipeline().get(PortUnificationHandler.class), "removes itself once decided");
        Object msg;
        int forwarded = 0;
        while ((msg = ch.readInbound()) != null)
        {
            forwarded += ((io.netty.buffer.ByteBuf)msg).readableBytes();
            ReferenceCountUtil.release(msg);
        }
        assertEquals(firstBytes.length, forwarded, "every byte is handed on");
        assertFalse(ch.finishAndReleaseAll());
        return chosen[0];
    }

    @Test
    void shouldDetectEveryHttpMethodAtEverySplit()
    {
        for (final String method : new String[] {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT"})
        {
            final byte[] bytes = (method + " / HTTP/1.1\r\n").getBytes(StandardCharsets.US_ASCII);
            for (int split = 1; split <= bytes.length; split++)
            {
                assertEquals("http", detect(bytes, split), method + " split " + split);
            }
        }
    }

    @Test
    void shouldDetectFramesWhoseLengthByteLooksLikeAMethodLetter()
    {
        // length 'G' (71) then the tag of field 3 (chat_request): a frame, not HTTP
        assertEquals("frames", detect(new byte[] {'G', 0x1A, 0x00}, 1));
        assertEquals("frames", detect(new byte[] {'P', 0x0A, 0x00}, 2));
        assertEquals("frames", detect(new byte[] {(byte)0xAC, 0x02, 0x1A}, 1));
        assertEquals("frames", detect(new byte[] {0x00}, 1));
    }

    @Test
    void shouldWaitForASecondByteWhenTheFirstIsAmbiguous()
    {
        final EmbeddedChannel ch = new EmbeddedChannel(new PortUnificationHandler(new PortUnificationHandler.ProtocolInstaller()
        {
            @Override
            public void installHttp(final ChannelPipeline pipeline)
            {
                throw new AssertionError("decided too early");
            }

            @Override
            public void installFrames(final ChannelPipeline pipeline)
            {
                throw new AssertionError("decided too early");
            }
        }));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'G'}));
        assertNotNull(ch.pipeline().get(PortUnificationHandler.class));
        ch.finishAndReleaseAll();
    }
}
