package ivbot.server.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ivbot model status|promote|rollback|pause|resume --jmx-port P}: steers canary releases of a running server
 * through its remote JMX ({@code serve --jmx-port P}, loopback only) and prints the status as JSON. Exit 0 when the
 * command acted, 1 when there was nothing to act on, 2 when the server could not be reached.
 */
@Command(name = "model", mixinStandardHelpOptions = true,
    description = "Canary releases of a running server: status, promote, rollback, pause or resume (through its --jmx-port).")
final class ModelCommand implements Callable<Integer>
{
    private static final List<String> COMMANDS = List.of("status", "promote", "rollback", "pause", "resume");

    @Parameters(index = "0", description = "status, promote, rollback, pause or resume.")
    String command;

    @Option(names = "--jmx-port", required = true, description = "The server's --jmx-port.")
    int jmxPort;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "The server's host (its JMX listens on loopback: tunnel for remote use) (default: ${DEFAULT-VALUE}).")
    String host;

    @Override
    public Integer call() throws Exception
    {
        if (!COMMANDS.contains(command))
        {
            System.err.println("ivbot model: '" + command + "' (expected: one of " + COMMANDS + ")");
            return 2;
        }
        final JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://" + host + ":" + jmxPort + "/jmxrmi");
        final String result;
        try (JMXConnector connector = JMXConnectorFactory.connect(url))
        {
            final MBeanServerConnection server = connector.getMBeanServerConnection();
            final ObjectName name = new ObjectName("ivbot:type=Canary");
            if (!server.isRegistered(name))
            {
                System.err.println("ivbot model: the server at " + host + ":" + jmxPort + " runs without canaries (--canary off, or no model)");
                return 2;
            }
            result = (String)server.invoke(name, command, new Object[0], new String[0]);
        }
        catch (final java.io.IOException ex)
        {
            System.err.println("ivbot model: cannot reach JMX at " + url + ": " + ex.getMessage());
            return 2;
        }
        System.out.println(result);
        return result.startsWith("{") ? 0 : 1;
    }
}
