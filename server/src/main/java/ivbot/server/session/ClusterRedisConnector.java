package ivbot.server.session;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.StringCodec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * Redis Cluster through Lettuce's {@link RedisClusterClient}, from several seed nodes
 * ({@code redis-cluster://host:port[,host:port...]}). Lettuce routes each key to its slot's master, follows
 * MOVED and ASK, and refreshes the topology every {@code clusterRefreshMs} and at once on its adaptive
 * triggers (persistent reconnects, redirects, uncovered slots), so after a master fails over to its replica
 * the writes go to the new master. Nodes the cluster agreed have failed are left out of the topology.
 * Thread-safe.
 */
final class ClusterRedisConnector extends LettuceConnector<StatefulRedisClusterConnection<String, String>>
{
    private final RedisClusterClient client;
    private final String description;

    /**
     * @param config the store's settings, concluded, with a {@code redis-cluster://} URI.
     */
    ClusterRedisConnector(final RedisStoreConfig config)
    {
        super(config);
        final Duration timeout = Duration.ofMillis(config.commandTimeoutMs);
        final List<RedisURI> seeds = SessionStores.clusterSeeds(config.uri);
        for (final RedisURI seed : seeds)
        {
            seed.setTimeout(timeout);
        }
        this.client = RedisClusterClient.create(resources, seeds);
        client.setOptions(ClusterClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClusterClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .requestQueueSize(4 * config.writeQueueCapacity)
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .socketOptions(SocketOptions.builder().connectTimeout(timeout).keepAlive(true).build())
            .maxRedirects(5)
            // a node that the cluster agreed has failed; not PFAIL, which is one node's suspicion
            .nodeFilter(node -> !(node.is(RedisClusterNode.NodeFlag.FAIL) || node.is(RedisClusterNode.NodeFlag.NOADDR)))
            .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                .enablePeriodicRefresh(Duration.ofMillis(config.clusterRefreshMs))
                // adaptive triggers (all on by default since Lettuce 7) fire while something is wrong: 200 ms apart
                .adaptiveRefreshTriggersTimeout(Duration.ofMillis(Math.min(config.clusterRefreshMs, 200)))
                .refreshTriggersReconnectAttempts(2)
                .dynamicRefreshSources(true)
                .closeStaleConnections(true)
                .build())
            .build());
        this.description = "redis cluster " + seeds.stream().map(s -> s.getHost() + ":" + s.getPort())
            .collect(Collectors.joining(","));
    }

    @Override
    CompletionStage<StatefulRedisClusterConnection<String, String>> open()
    {
        // the connection needs the topology first, read from the seeds
        return client.refreshPartitionsAsync().thenCompose(ignored -> client.connectAsync(StringCodec.UTF8));
    }

    @Override
    RedisClusterAsyncCommands<String, String> commandsOf(final StatefulRedisClusterConnection<String, String> connection)
    {
        return connection.async();
    }

    @Override
    AbstractRedisClient client()
    {
        return client;
    }

    @Override
    public CompletionStage<Probe> probe()
    {
        final StatefulRedisClusterConnection<String, String> c = connection();
        if (c == null || !c.isOpen())
        {
            return CompletableFuture.completedFuture(Probe.none("disconnected"));
        }
        // every slot must have a master in the topology Lettuce routes by: a failed master is filtered out
        // before its replica takes over, and its slots have no owner until then
        final Partitions partitions = c.getPartitions();
        final Set<RedisClusterNode> masters = new HashSet<>();
        int uncovered = 0;
        for (int slot = 0; slot < SlotHash.SLOT_COUNT; slot++)
        {
            final RedisClusterNode master = partitions.getMasterBySlot(slot);
            if (master == null)
            {
                uncovered++;
            }
            else
            {
                masters.add(master);
            }
        }
        final List<CompletableFuture<String>> pings = new ArrayList<>();
        for (final RedisClusterNode node : masters)
        {
            final String address = node.getUri().getHost() + ":" + node.getUri().getPort();
            pings.add(c.getConnectionAsync(node.getNodeId())
                .thenCompose(nodeConnection -> nodeConnection.async().ping())
                .handle((pong, error) -> error == null ? null : address + ": " + error));
        }
        if (pings.isEmpty())
        {
            return CompletableFuture.completedFuture(Probe.none("no master owns slots"));
        }
        final String noOwner = uncovered == 0 ? null : uncovered + " slots without a master";
        return CompletableFuture.allOf(pings.toArray(new CompletableFuture<?>[0])).thenApply(ignored ->
        {
            int up = 0;
            String failure = noOwner;
            for (final CompletableFuture<String> ping : pings)
            {
                final String error = ping.join();
                if (error == null)
                {
                    up++;
                }
                else if (failure == null)
                {
                    failure = error;
                }
            }
            return new Probe(up > 0, up == pings.size() && noOwner == null, failure);
        });
    }

    @Override
    public String describe()
    {
        return description;
    }
}
