/*
 * Starts a local Apache Solr 9 for CKAN from plain Maven Central jars.
 *
 * Why this exists: there is no Solr server distribution on Maven Central, and no
 * container runtime is assumed. Since Solr 9.2 the embedded Jetty runner
 * (org.apache.solr.embedded.JettySolrRunner) lives in solr-test-framework, whose
 * runtime closure is a complete server. The runner's own main() retries a busy
 * port for 60 s and never checks that the cores loaded, so this wrapper pins the
 * settings CKAN needs and fails loudly.
 *
 * Jars: mvn -q -B -f stack/solr/pom.xml -Dsolr.lib.dir=<libdir> dependency:copy-dependencies
 * Run:  java -Xms256m -Xmx512m -XX:+UseSerialGC -Djava.awt.headless=true \
 *         -Dlog4j2.configurationFile=file:stack/solr/log4j2.xml \
 *         -cp "<libdir>/*" stack/solr/SolrLauncher.java <solrHome> <port>
 *
 * - context /solr, bound to 127.0.0.1 only, no port retry (a busy port exits 3)
 * - every folder under solrHome holding core.properties must load (else exit 4)
 * - prints "SOLR READY http://127.0.0.1:<port>/solr" once usable
 * - SIGTERM stops Jetty and closes the cores (stopAtShutdown)
 */

import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.solr.core.CoreContainer;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

public class SolrLauncher {
  private static final String HOST = "127.0.0.1";
  private static final long CORE_LOAD_TIMEOUT_MS = 120_000L;

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      fail(2, "usage: SolrLauncher <solrHome> <port>");
    }
    Path home = Paths.get(args[0]).toAbsolutePath().normalize();
    if (!Files.isRegularFile(home.resolve("solr.xml"))) {
      fail(2, "no solr.xml in " + home);
    }
    int port = parsePort(args[1]);
    // Solr logs an ERROR when this is unset; log4j2.xml here writes no files.
    if (System.getProperty("solr.log.dir") == null) {
      System.setProperty("solr.log.dir", home.toString());
    }
    if (!portIsFree(port)) {
      fail(3, "port " + port + " is busy");
    }

    JettyConfig config =
        JettyConfig.builder()
            .setContext("/solr")
            .setPort(port)
            .withPortRetryTime(0)
            .stopAtShutdown(true)
            .waitForLoadingCoresToFinish(CORE_LOAD_TIMEOUT_MS)
            .build();
    JettySolrRunner runner = new JettySolrRunner(home.toString(), new Properties(), config);
    try {
      runner.start();
    } catch (Exception e) {
      stopQuietly(runner);
      if (hasCause(e, BindException.class)) {
        fail(3, "port " + port + " is busy");
      }
      e.printStackTrace();
      fail(1, "Solr failed to start: " + e);
    }

    List<String> problems = checkCores(home, runner.getCoreContainer());
    if (!problems.isEmpty()) {
      problems.forEach(p -> System.err.println("SOLR CORE FAILED " + p));
      stopQuietly(runner);
      fail(4, problems.size() + " core(s) failed to load");
    }
    System.out.println("SOLR READY http://" + HOST + ":" + runner.getLocalPort() + "/solr");
    System.out.flush();
    // Jetty's non-daemon threads keep the JVM alive until SIGTERM.
  }

  private static List<String> checkCores(Path home, CoreContainer cc) throws IOException {
    List<String> problems = new ArrayList<>();
    if (cc == null) {
      problems.add("(no CoreContainer)");
      return problems;
    }
    Map<String, CoreContainer.CoreLoadFailure> failures = cc.getCoreInitFailures();
    for (Path props : findCoreProperties(home)) {
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(props)) {
        p.load(in);
      }
      Path dir = props.getParent();
      String name = p.getProperty("name", dir.getFileName().toString());
      CoreContainer.CoreLoadFailure f = failures.get(name);
      if (f != null) {
        problems.add(name + " (" + dir + "): " + causeChain(f.exception));
      } else if (!cc.isLoaded(name) && !"false".equalsIgnoreCase(p.getProperty("loadOnStartup"))) {
        problems.add(name + " (" + dir + "): not loaded");
      }
    }
    return problems;
  }

  /** Like Solr's core discovery: a folder with core.properties is a core; skip below it. */
  private static List<Path> findCoreProperties(Path home) throws IOException {
    List<Path> found = new ArrayList<>();
    Files.walkFileTree(
        home,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            Path props = dir.resolve("core.properties");
            if (Files.isRegularFile(props)) {
              found.add(props);
              return FileVisitResult.SKIP_SUBTREE;
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            return FileVisitResult.CONTINUE;
          }
        });
    return found;
  }

  private static int parsePort(String s) {
    try {
      int port = Integer.parseInt(s);
      if (port > 0 && port < 65536) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    fail(2, "invalid port: " + s);
    return -1;
  }

  private static boolean portIsFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }

  private static String causeChain(Throwable t) {
    StringBuilder sb = new StringBuilder(String.valueOf(t));
    for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
      sb.append(" <- ").append(c);
    }
    return sb.toString();
  }

  private static void stopQuietly(JettySolrRunner runner) {
    try {
      runner.stop();
    } catch (Exception ignored) {
      // exiting anyway
    }
  }

  private static void fail(int code, String message) {
    System.err.println("SOLR FAILED: " + message);
    System.exit(code);
  }
}
