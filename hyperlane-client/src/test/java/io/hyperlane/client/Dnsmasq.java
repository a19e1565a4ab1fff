package io.hyperlane.client;

import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.naming.Context;
import javax.naming.NameNotFoundException;
import javax.naming.NamingException;
import javax.naming.OperationNotSupportedException;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;

/**
 * A real DNS server for tests: Debian's dnsmasq on a free loopback port, serving only the records a
 * test gives it ({@code ./scripts/test} installs it). Restart it with other records, or stop it, to
 * change what DNS says.
 */
final class Dnsmasq implements AutoCloseable {

  private int port;
  private final Path dir;
  private Process process;

  private Dnsmasq(Path dir) {
    this.dir = dir;
  }

  /**
   * Starts dnsmasq with these configuration lines (such as {@code srv-host=…}) on a loopback port
   * free for both UDP and TCP; when another process takes the port before dnsmasq binds it, tries
   * another (up to five).
   */
  static Dnsmasq start(String... records) throws IOException {
    Dnsmasq dnsmasq = new Dnsmasq(Files.createTempDirectory("dnsmasq"));
    for (int attempt = 1; ; attempt++) {
      dnsmasq.port = freeUdpAndTcpPort();
      String failure = dnsmasq.launch(records);
      if (failure == null) {
        return dnsmasq;
      }
      if (attempt == 5 || !failure.contains("Address already in use")) {
        fail("dnsmasq did not start: " + failure);
      }
    }
  }

  private static int freeUdpAndTcpPort() throws IOException {
    for (int i = 0; i < 50; i++) {
      try (ServerSocket tcp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        try (DatagramSocket udp =
            new DatagramSocket(tcp.getLocalPort(), InetAddress.getLoopbackAddress())) {
          return udp.getLocalPort();
        } catch (SocketException inUseForUdp) {
          // try another
        }
      }
    }
    throw new IOException("no loopback port free for both UDP and TCP after 50 tries");
  }

  int port() {
    return port;
  }

  /** Serves {@code records} from now on (restarting the server on the same port). */
  void serve(String... records) throws IOException {
    for (int attempt = 1; ; attempt++) {
      String failure = launch(records);
      if (failure == null) {
        return;
      }
      if (attempt == 5 || !failure.contains("Address already in use")) {
        fail("dnsmasq did not restart on port " + port + ": " + failure);
      }
    }
  }

  /** (Re)starts the server; null once it answers, else why it did not. */
  private String launch(String... records) throws IOException {
    stop();
    List<String> conf =
        new ArrayList<>(
            List.of(
                "port=" + port,
                "listen-address=127.0.0.1",
                "bind-interfaces",
                "no-resolv",
                "no-hosts",
                "user=root",
                "pid-file=",
                "log-facility=-"));
    conf.addAll(List.of(records));
    Path file = dir.resolve("dnsmasq.conf");
    Files.write(file, conf);
    String binary =
        System.getenv()
            .getOrDefault(
                "HYPERLANE_DNSMASQ",
                new File("/usr/sbin/dnsmasq").exists() ? "/usr/sbin/dnsmasq" : "dnsmasq");
    try {
      process =
          new ProcessBuilder(binary, "--keep-in-foreground", "--conf-file=" + file)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("log").toFile())
              .start();
    } catch (IOException e) {
      fail(
          "cannot start dnsmasq (install Debian's dnsmasq-base, or run ./scripts/test): "
              + e.getMessage());
    }
    // Ready once it answers: ask for one of its own names until it does (bounded).
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!answers()) {
      if (System.nanoTime() > until || !process.isAlive()) {
        stop();
        return Files.readString(dir.resolve("log"));
      }
      Thread.onSpinWait();
    }
    return null;
  }

  private boolean answers() {
    try {
      DirContext ctx =
          new InitialDirContext(
              new Hashtable<>(
                  Map.of(
                      Context.INITIAL_CONTEXT_FACTORY,
                      "com.sun.jndi.dns.DnsContextFactory",
                      Context.PROVIDER_URL,
                      "dns://127.0.0.1:" + port,
                      "com.sun.jndi.dns.timeout.initial",
                      "50",
                      "com.sun.jndi.dns.timeout.retries",
                      "1")));
      try {
        ctx.getAttributes("ready.probe.test", new String[] {"A"});
      } finally {
        ctx.close();
      }
      return true;
    } catch (NameNotFoundException | OperationNotSupportedException e) {
      return true; // it answered, with "no such name" or "refused"
    } catch (NamingException e) {
      return false;
    }
  }

  /** Stops the server: lookups time out. */
  void stop() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  @Override
  public void close() {
    stop();
  }
}
