package ivbot.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Closes new connections beyond {@code maxConnections} at once, and those beyond
 * {@code maxPerAddress} from one client address, so a flood of sockets cannot exhaust file descriptors or
 * memory, and one address cannot lock everyone else out. Trusted proxies (which carry many clients'
 * connections) count only against the global bound. Sharable: one instance counts all of a server's
 * connections (an atomic counter and a per-address map, touched once per connect and disconnect).
 */
@ChannelHandler.Sharable
public final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter
{
    private static final AttributeKey<InetAddress> COUNTED = AttributeKey.valueOf("ivbot.countedAddress");

    private final int maxConnections;
    private final int maxPerAddress;
    private final Set<InetAddress> exempt;
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
    private final LongAdder refused = new LongAdder();

    /**
     * @param maxConnections the most connections open at once.
     */
    public ConnectionLimitHandler(final int maxConnections)
    {
        this(maxConnections, Integer.MAX_VALUE, Set.of());
    }

    /**
     * @param maxConnections the most connections open at once.
     * @param maxPerAddress  the most connections open at once from one address.
     * @param exempt         addresses counted only against {@code maxConnections} (trusted proxies).
     */
    public ConnectionLimitHandler(final int maxConnections, final int maxPerAddress, final Set<InetAddress> exempt)
    {
        if (maxConnections <= 0)
        {
            throw new IllegalArgumentException("maxConnections=" + maxConnections + " (expected: > 0)");
        }
        if (maxPerAddress <= 0)
        {
            throw new IllegalArgumentException("maxPerAddress=" + maxPerAddress + " (expected: > 0)");
        }
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
        this.exempt = Set.copyOf(exempt);
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx) throws Exception
    {
        final boolean overall = open.incrementAndGet() > maxConnections;
        final InetAddress address = address(ctx);
        boolean overAddress = false;
        if (address != null && maxPerAddress != Integer.MAX_VALUE && !exempt.contains(address))
        {
            final int count = perAddress.merge(address, 1, Integer::sum);
            ctx.channel().attr(COUNTED).set(address);
            overAddress = count > maxPerAddress;
        }
        if (overall || overAddress)
        {
            refused.increment();
            ctx.close();
            return;
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        open.decrementAndGet();
        final InetAddress counted = ctx.channel().attr(COUNTED).getAndSet(null);
        if (counted != null)
        {
            perAddress.computeIfPresent(counted, (a, n) -> n <= 1 ? null : n - 1);
        }
        super.channelInactive(ctx);
    }

    private static InetAddress address(final ChannelHandlerContext ctx)
    {
        final SocketAddress remote = ctx.channel().remoteAddress();
        return remote instanceof InetSocketAddress ? ((InetSocketAddress)remote).getAddress() : null;
    }

    /**
     * @return connections open now.
     */
    public int open()
    {
        return open.get();
    }

    /**
     * @param address a client address.
     * @return connections open now from it (0 for an exempt address).
     */
    public int open(final InetAddress address)
    {
        final Integer count = perAddress.get(address);
        return count == null ? 0 : count;
    }

    /**
     * @return connections refused so far.
     */
    public long refused()
    {
        return refused.sum();
    }
}
