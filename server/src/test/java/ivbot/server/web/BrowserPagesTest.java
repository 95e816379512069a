package ivbot.server.web;

import ivbot.inference.rules.RuleClassifier;
import ivbot.server.TestServer;
import ivbot.server.intent.ModelChatTest;
import ivbot.server.explain.Explainer;
import ivbot.server.intent.IntentClassifier;
import ivbot.server.intent.ModelRuntime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chat page and the operator page in a real headless Chromium (Debian packages {@code chromium} and
 * {@code chromium-driver}) against a real server on a loopback port. The driver binary is given
 * explicitly, so Selenium Manager never runs and nothing is downloaded. Each test gets a fresh browser
 * profile; screenshots go to {@code target/screenshots/}.
 */
@Timeout(180)
class BrowserPagesTest
{
    private static final File CHROMIUM = new File("/usr/bin/chromium");
    private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String BOT = "#transcript li.msg.bot:not(.pending)";
    // Selenium warns on every session that it has no CDP bindings for this Chromium; the tests use none
    private static final Logger CDP_LOG = quiet("org.openqa.selenium.devtools");

    private static TestServer server;
    private static String devToken;
    private static Path screenshots;

    private ChromeDriver driver;
    private Path profile;
    private WebDriverWait wait;

    /** A failing test leaves {@code failed-<test>.png}, taken before the browser closes. */
    @RegisterExtension
    final TestExecutionExceptionHandler screenshotOnFailure = (context, failure) ->
    {
        if (driver != null)
        {
            try
            {
                screenshot("failed-" + context.getRequiredTestMethod().getName());
            }
            catch (final RuntimeException | IOException ex)
            {
                failure.addSuppressed(ex);
            }
        }
        throw failure;
    };

    @BeforeAll
    static void startServer() throws IOException
    {
        assertTrue(CHROMIUM.canExecute() && CHROMEDRIVER.canExecute(),
            "browser tests need headless Chromium: apt-get install -y chromium chromium-driver");
        screenshots = Path.of(System.getProperty("basedir", "."), "target", "screenshots");
        Files.createDirectories(screenshots);
        // as ./ivbot serve --dev makes it: the dev token carries the ops role, so the operator page works too
        devToken = TestServer.ISSUER.issue("candidate-1", null, java.util.List.of("ops"), java.time.Duration.ofHours(1),
            System.currentTimeMillis());
        server = TestServer.startWithDevToken(devToken);
    }

    @AfterAll
    static void stopServer()
    {
        if (server != null)
        {
            server.close();
        }
    }

    @BeforeEach
    void openBrowser(final TestInfo info) throws IOException
    {
        // quit() stops the driver's service, so each browser gets its own chromedriver process
        final ChromeDriverService service = new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER)
            .usingAnyFreePort()
            .withLogFile(screenshots.resolve("chromedriver-" + info.getTestMethod().orElseThrow().getName() + ".log").toFile())
            .build();
        profile = Files.createTempDirectory("ivbot-chromium-");
        final ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--lang=zh-CN", "--window-size=1280,900",
            "--user-data-dir=" + profile);
        final LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
        wait = new WebDriverWait(driver, WAIT);
    }

    @AfterEach
    void closeBrowser() throws IOException
    {
        try
        {
            if (driver != null)
            {
                driver.quit();
            }
        }
        finally
        {
            deleteRecursively(profile);
        }
    }

    @Test
    void shouldAnswerTwoTurnsInOneSession() throws IOException
    {
        open("/");
        assertEquals(devToken, driver.findElement(By.id("token")).getDomProperty("value"),
            "dev mode prefills the token field");

        ask("年假几天");
        final WebElement first = waitForAnswers(1).get(0);
        assertEquals("leave_annual", first.getDomAttribute("data-intent"));
        final String firstMeta = first.findElement(By.cssSelector(".meta")).getText();
        assertTrue(firstMeta.contains("意图 年假"), "the intent's Chinese name: " + firstMeta);
        assertFalse(firstMeta.contains("leave_annual"), "the raw id is folded away: " + firstMeta);
        final WebElement ids = first.findElement(By.cssSelector(".meta details.ids"));
        ids.findElement(By.tagName("summary")).click();
        wait.until(d -> ids.getText().contains("intent leave_annual"));
        final String sessionId = storage("localStorage", "ivbot.session");
        assertNotNull(sessionId, "session id kept in localStorage");
        assertEquals("进行中", driver.findElement(By.id("session-state")).getText());
        assertFalse(driver.findElement(By.id("session-id")).isDisplayed(), "the session id is in the details view");
        assertEquals(sessionId, driver.findElement(By.id("session-id")).getDomProperty("textContent"));

        ask("那病假呢");
        final WebElement second = waitForAnswers(2).get(1);
        assertEquals("leave_sick", second.getDomAttribute("data-intent"));
        final String meta = second.findElement(By.cssSelector(".meta")).getText();
        assertTrue(meta.contains("意图 病假") && meta.contains("来源 rules"), meta);
        assertTrue(second.findElement(By.cssSelector(".meta details.ids code")).getDomProperty("textContent")
            .contains("intent leave_sick"));
        assertEquals(sessionId, storage("localStorage", "ivbot.session"), "the second turn kept the session");
        screenshot("chat-two-turns");

        driver.manage().window().setSize(new Dimension(390, 844));
        wait.until(d -> script("return window.innerWidth <= 400;"));
        script("window.scrollTo(0, document.body.scrollHeight);");
        wait.until(d -> script("return window.scrollY > 0;"));
        screenshot("chat-two-turns-mobile");
        assertNoPageErrors(false);
    }

    @Test
    void shouldContinueTheSessionAfterRefresh() throws IOException
    {
        open("/");
        ask("校招年假几天");
        final WebElement first = waitForAnswers(1).get(0);
        assertEquals("leave_annual", first.getDomAttribute("data-intent"));
        assertEquals("campus", first.getDomAttribute("data-audience"));
        final String sessionId = storage("localStorage", "ivbot.session");
        assertNotNull(sessionId);

        driver.navigate().refresh();
        final WebElement notice = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("notice")));
        assertEquals("已恢复会话", notice.getText());
        assertEquals(sessionId, storage("localStorage", "ivbot.session"));
        assertEquals(1, driver.findElements(By.cssSelector(BOT)).size(), "the earlier answer is shown again");
        wait.until(ExpectedConditions.attributeToBe(By.tagName("body"), "data-heartbeat", "ok"));
        screenshot("chat-restored");

        ask("那实习生呢");
        final WebElement second = waitForAnswers(2).get(1);
        assertEquals("leave_annual", second.getDomAttribute("data-intent"));
        assertEquals("intern", second.getDomAttribute("data-audience"));
        final String meta = second.findElement(By.cssSelector(".meta")).getText();
        assertTrue(second.findElement(By.cssSelector(".meta")).isDisplayed());
        assertTrue(meta.contains("意图 年假") && meta.contains("对象 实习"), meta);
        assertTrue(second.findElement(By.cssSelector(".meta details.ids code")).getDomProperty("textContent")
            .contains("intent leave_annual · audience intern"));
        assertEquals(sessionId, storage("localStorage", "ivbot.session"));
        screenshot("chat-after-refresh");
        assertNoPageErrors(false);
    }

    @Test
    void shouldAskToSignInAgainWhenTheTokenExpired() throws IOException
    {
        final String expired = TestServer.ISSUER.issue(
            "candidate-2", null, Duration.ofMinutes(5), System.currentTimeMillis() - Duration.ofHours(2).toMillis());
        open("/");
        driver.findElement(By.cssSelector("#token-panel summary")).click();
        final WebElement token = wait.until(ExpectedConditions.elementToBeClickable(By.id("token")));
        token.clear();
        token.sendKeys(expired);

        ask("年假几天");
        final WebElement alert = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("alert")));
        wait.until(ExpectedConditions.textToBe(By.id("alert-text"), "登录已失效，请重新输入令牌"));
        assertTrue(alert.isDisplayed());
        assertEquals("true", token.getDomAttribute("aria-invalid"));
        assertEquals("年假几天", driver.findElement(By.id("query")).getDomProperty("value"),
            "the question stays in the box to be sent again");
        assertEquals(0, driver.findElements(By.cssSelector(BOT)).size());
        screenshot("chat-expired-token");
        assertNoPageErrors(true);
    }

    @Test
    void shouldUnfoldWhyWithTheCharactersShadedByTheirWeight() throws IOException
    {
        final ModelRuntime.Settings settings = ModelChatTest.settings(TestServer.repoRoot().resolve("models/repository/intent"));
        final Explainer.Settings explain = new Explainer.Settings();
        explain.catalog = TestServer::catalog;
        explain.deadlineMs = 30_000;
        try (ModelRuntime runtime = ModelRuntime.start(settings, () -> { });
            TestServer modelServer = TestServer.startWithExplainer(
                new IntentClassifier(RuleClassifier.loadDefault(TestServer.catalog()), runtime.agent(), 1000, 10_000, 0.9f),
                metrics -> new Explainer(explain, runtime::servingPackage, metrics), devToken))
        {
            open(modelServer.port(), "/");
            final WebElement box = driver.findElement(By.id("explain"));
            assertFalse(box.isSelected(), "explanations are asked for only once the box is ticked");
            box.click();
            assertEquals("1", storage("localStorage", "ivbot.explain"));
            ask("病假工资怎么算");
            final WebElement answer = waitForAnswers(1).get(0);
            assertEquals("leave_sick", answer.getDomAttribute("data-intent"));
            final WebElement panel = answer.findElement(By.cssSelector(".why-panel"));
            assertFalse(panel.isDisplayed(), "folded until asked");
            final WebElement why = answer.findElement(By.cssSelector(".why-link"));
            assertEquals("为什么?", why.getText());
            why.click();
            wait.until(ExpectedConditions.visibilityOf(panel));
            assertEquals("true", why.getDomAttribute("aria-expanded"));

            final List<WebElement> tokens = panel.findElements(By.cssSelector(".saliency .token"));
            assertEquals(7, tokens.size(), "one per character of 病假工资怎么算");
            WebElement heaviest = tokens.get(0);
            for (final WebElement token : tokens)
            {
                if (Double.parseDouble(token.getDomAttribute("data-weight")) >
                    Double.parseDouble(heaviest.getDomAttribute("data-weight")))
                {
                    heaviest = token;
                }
            }
            assertTrue("病假".contains(heaviest.getText()), "the topic word is the darkest: " + heaviest.getText());
            assertEquals("rgba(36, 87, 214, 0.55)", heaviest.getCssValue("background-color"),
                "the heaviest token gets the full shade, set through CSSOM under the page's CSP");
            final List<WebElement> top = panel.findElements(By.cssSelector(".why-top li"));
            assertEquals(3, top.size());
            assertTrue(top.get(0).getText().startsWith("病假 "), top.get(0).getText());
            assertTrue(top.get(0).getText().endsWith("%"), top.get(0).getText());
            assertTrue(panel.getText().contains("最相近的训练问题"), panel.getText());
            screenshot("chat-why");

            box.click();
            assertNull(storage("localStorage", "ivbot.explain"));
            ask("婚假几天");
            final WebElement plain = waitForAnswers(2).get(1);
            assertEquals("leave_marriage", plain.getDomAttribute("data-intent"));
            assertTrue(plain.findElements(By.cssSelector(".why-link")).isEmpty(), "no explanation asked, none shown");
            assertNoPageErrors(false);
        }
    }

    @Test
    void shouldDrawTheOperatorChart() throws IOException, InterruptedException
    {
        final HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 30; i++)
        {
            chatOverHttp(http, i % 2 == 0 ? "校招年假几天" : "那病假呢");
        }
        // the chat page puts the dev token in localStorage, where the operator page finds it
        open("/");
        wait.until(d -> devToken.equals(storage("localStorage", "ivbot.token")));
        open("/ops");
        wait.until(ExpectedConditions.textMatches(By.id("status"), Pattern.compile("已连接")));
        // some traffic between polls, so that the lines have a shape
        for (int sample = samples(); sample < 5; sample = samples())
        {
            for (int i = 0; i < 4 * sample; i++)
            {
                chatOverHttp(http, i % 2 == 0 ? "社招试用期多久" : "那实习生呢");
            }
            final int seen = sample;
            wait.until(d -> samples() > seen);
        }

        for (final String id : new String[] {"qps-chart", "latency-chart"})
        {
            final long painted = ((Number)script(
                "const c = document.getElementById(arguments[0]);" +
                "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;" +
                "let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) n++; } return n;", id)).longValue();
            assertTrue(painted > 0, id + " has no painted pixels");
        }
        final long qpsLine = ((Number)script(
            "const c = document.getElementById('qps-chart');" +
            "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;" +
            "let n = 0; for (let i = 0; i < d.length; i += 4) {" +
            "  if (d[i + 3] > 200 && d[i] < 80 && d[i + 1] < 120 && d[i + 2] > 180) n++; } return n;")).longValue();
        assertTrue(qpsLine > 20, "the QPS line is drawn (" + qpsLine + " line-coloured pixels)");
        assertTrue(Long.parseLong(driver.findElement(By.id("m-total")).getText().replace(",", "")) >= 30);
        assertTrue(driver.findElement(By.id("m-store")).getText().contains("memory"));
        assertEquals("正常", driver.findElement(By.cssSelector("#m-store-state .badge")).getText());
        // this server runs without canary releases: the release panel stays hidden (GET /v1/admin/model is 404)
        assertTrue(!driver.findElement(By.id("release")).isDisplayed(), "the release panel is hidden without canaries");
        assertEquals(ivbot.inference.batch.FallbackReason.values().length,
            driver.findElements(By.cssSelector("#fallback-bars li.bar")).size());
        // 什么在被问: the intents asked (annual leave, sick leave, probation...) and no question left unanswered
        wait.until(d -> d.findElements(By.cssSelector("#asked-bars li.bar")).size() >= 4);
        final String asked = driver.findElement(By.id("asked-bars")).getText();
        assertTrue(asked.contains("年假") && asked.contains("病假") && asked.contains("试用期"), asked);
        assertTrue(driver.findElement(By.id("asked-summary")).getText().contains("本实例"),
            driver.findElement(By.id("asked-summary")).getText());
        // "那实习生呢" was sent without its session: alone it names no topic, so it was not understood
        final String unknown = driver.findElement(By.id("unknown-list")).getText();
        assertTrue(unknown.startsWith("那实习生呢"), unknown);
        assertTrue(!unknown.contains("假") && !unknown.contains("试用期"), "questions that name a topic are understood: " + unknown);
        driver.manage().window().setSize(new Dimension(1280, 1400));
        wait.until(d -> script("return window.innerHeight >= 1200;"));
        wait.until(d -> samples() >= 6);
        screenshot("ops");
        assertNoPageErrors(false);
    }

    private void open(final String path)
    {
        open(server.port(), path);
    }

    private void open(final int port, final String path)
    {
        driver.get("http://127.0.0.1:" + port + path);
        wait.until(d -> "complete".equals(script("return document.readyState;")));
    }

    private void ask(final String query)
    {
        final WebElement box = wait.until(ExpectedConditions.elementToBeClickable(By.id("query")));
        box.clear();
        box.sendKeys(query);
        wait.until(ExpectedConditions.elementToBeClickable(By.id("send"))).click();
    }

    private List<WebElement> waitForAnswers(final int count)
    {
        return wait.until(d ->
        {
            final List<WebElement> answers = d.findElements(By.cssSelector(BOT));
            return answers.size() >= count ? answers : null;
        });
    }

    private void chatOverHttp(final HttpClient http, final String query) throws IOException, InterruptedException
    {
        final HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/v1/chat"))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + devToken)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"query\":\"" + query + "\"}", StandardCharsets.UTF_8))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
    }

    private int samples()
    {
        return Integer.parseInt(attribute("latency-chart", "data-samples", "0"));
    }

    private String storage(final String area, final String key)
    {
        return (String)script("return window[arguments[0]].getItem(arguments[1]);", area, key);
    }

    private String attribute(final String id, final String name, final String absent)
    {
        final String value = driver.findElement(By.id(id)).getDomAttribute(name);
        return value == null ? absent : value;
    }

    private Object script(final String js, final Object... args)
    {
        return ((JavascriptExecutor)driver).executeScript(js, args);
    }

    private void screenshot(final String name) throws IOException
    {
        Files.write(screenshots.resolve(name + ".png"), ((TakesScreenshot)driver).getScreenshotAs(OutputType.BYTES));
    }

    /**
     * Fails on a Content-Security-Policy violation or a script error in the console; failed requests
     * (the 401 of an expired token) are expected where {@code requestFailuresExpected}.
     */
    private void assertNoPageErrors(final boolean requestFailuresExpected)
    {
        final List<String> errors = new ArrayList<>();
        for (final LogEntry entry : driver.manage().logs().get(LogType.BROWSER))
        {
            final String message = entry.getMessage();
            final boolean requestFailure = message.contains("Failed to load resource");
            if (entry.getLevel().intValue() >= Level.SEVERE.intValue() && !(requestFailuresExpected && requestFailure) ||
                message.contains("Content Security Policy"))
            {
                errors.add(message);
            }
        }
        assertTrue(errors.isEmpty(), "browser console errors: " + errors);
    }

    private static Logger quiet(final String name)
    {
        final Logger logger = Logger.getLogger(name);
        logger.setLevel(Level.SEVERE);
        return logger;
    }

    private static void deleteRecursively(final Path dir) throws IOException
    {
        if (dir == null || !Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path p : (Iterable<Path>)paths.sorted(Comparator.reverseOrder())::iterator)
            {
                Files.deleteIfExists(p);
            }
        }
    }
}
