package ivbot.inference.model;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens ONNX Runtime sessions on the device asked for: {@code cpu}, {@code cuda[:N]}, or {@code auto}
 * (CUDA when its libraries are present, else CPU). Where the CUDA execution provider cannot be loaded
 * (on machines without CUDA 12: "libcublasLt.so.12: cannot open shared object file") the session is
 * opened on CPU instead, with one log line saying why: the server always starts.
 */
public final class OrtSessions
{
    private static final Logger LOG = LoggerFactory.getLogger(OrtSessions.class);
    private static final String CUBLAS_LT = "libcublasLt.so.12";

    /**
     * An open session and the device it runs on.
     *
     * @param session the session; the caller closes it.
     * @param device  {@code "cpu"} or {@code "cuda:N"}.
     */
    public record Opened(OrtSession session, String device)
    {
    }

    private OrtSessions()
    {
    }

    /**
     * @param device the setting: {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}.
     * @throws IllegalArgumentException naming the setting when it is none of those.
     */
    public static void checkDevice(final String device)
    {
        cudaIndex(device);
    }

    private static int cudaIndex(final String device)
    {
        if ("cpu".equals(device))
        {
            return -1;
        }
        if ("auto".equals(device) || "cuda".equals(device))
        {
            return 0;
        }
        if (device != null && device.startsWith("cuda:"))
        {
            try
            {
                final int index = Integer.parseInt(device.substring(5));
                if (index >= 0)
                {
                    return index;
                }
            }
            catch (final NumberFormatException ignore)
            {
                // reported below
            }
        }
        throw new IllegalArgumentException("--device=" + device + " (expected: auto, cpu, cuda or cuda:N)");
    }

    /**
     * Opens a session.
     *
     * @param model          the serialised ONNX model.
     * @param device         {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}.
     * @param intraOpThreads ONNX Runtime intra-op threads, at least 1.
     * @return the session and the device it runs on.
     * @throws OrtException when the model cannot be loaded even on CPU.
     */
    public static Opened open(final byte[] model, final String device, final int intraOpThreads) throws OrtException
    {
        if (intraOpThreads <= 0)
        {
            throw new IllegalArgumentException("intraOpThreads=" + intraOpThreads + " (expected: > 0)");
        }
        final int cuda = cudaIndex(device);
        final OrtEnvironment env = OrtEnvironment.getEnvironment();
        if (cuda >= 0)
        {
            if ("auto".equals(device) && !cudaLibrariesPresent())
            {
                LOG.info("ONNX Runtime: no CUDA libraries ({} not found), running on CPU", CUBLAS_LT);
            }
            else
            {
                try (OrtSession.SessionOptions options = options(intraOpThreads))
                {
                    options.addCUDA(cuda);
                    return new Opened(env.createSession(model, options), "cuda:" + cuda);
                }
                catch (final OrtException | RuntimeException | UnsatisfiedLinkError ex)
                {
                    LOG.warn("ONNX Runtime: CUDA execution provider unavailable ({}), running on CPU",
                        firstLine(ex.getMessage()));
                }
            }
        }
        try (OrtSession.SessionOptions options = options(intraOpThreads))
        {
            return new Opened(env.createSession(model, options), "cpu");
        }
    }

    private static OrtSession.SessionOptions options(final int intraOpThreads) throws OrtException
    {
        final OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(intraOpThreads);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        return options;
    }

    private static String firstLine(final String message)
    {
        if (message == null)
        {
            return "no message";
        }
        final int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    /**
     * @return true when {@code libcublasLt.so.12} lies in one of the usual library folders or in
     * {@code LD_LIBRARY_PATH}.
     */
    static boolean cudaLibrariesPresent()
    {
        final List<String> dirs = new ArrayList<>(List.of("/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
            "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib"));
        final String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null)
        {
            dirs.addAll(List.of(ld.split(":")));
        }
        for (final String dir : dirs)
        {
            if (!dir.isEmpty() && Files.exists(Path.of(dir, CUBLAS_LT)))
            {
                return true;
            }
        }
        return false;
    }
}
