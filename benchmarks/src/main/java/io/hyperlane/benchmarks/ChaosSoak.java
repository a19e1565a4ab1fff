package io.hyperlane.benchmarks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.hyperlane.cache.HttpCache;
import io.hyperlane.cache.RedisSharedTier;
import io.hyperlane.client.Hyperlane;
import io.hyperlane.discovery.EtcdDiscovery;
import io.hyperlane.resilience.RetryBudget;
import io.hyperlane.resilience.RetryPolicy;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * A chaos soak: two Hyperlane instances sharing a real Redis (the cache's shared tier) and a real
 * etcd (discovery), under a fixed open-loop rate of reads, writes and POSTs, while replicas are
 * killed and restarted, one turns into a black hole, Redis and etcd are killed and restarted, and
 * endpoints are registered and deregistered every few seconds. Redis and etcd are processes of its
 * own ({@code redis-server} and {@code etcd} must be on the PATH), on free loopback ports.
 *
 * <p>What it counts, and what must stay at zero:
 *
 * <ul>
 *   <li>idempotent calls (GET, PUT, POST with an {@code Idempotency-Key}) that failed — at least
 *       two healthy replicas are registered at every moment, so each is a failure of the mesh;
 *   <li>POSTs without a key that reached the server twice (each carries an id the server counts);
 *   <li>reads older than the reader's own completed write through the same instance;
 *   <li>and, flat from start to end: heap after GC, threads, open file descriptors, pooled
 *       connections.
 * </ul>
 *
 * <pre>
 * benchmarks/soak.sh [seconds] [calls per second]
 * </pre>
 */
public final class ChaosSoak {

  private static final MediaType JSON = MediaType.get("application/json");
  private static final int USERS = 20;
  private static final String SERVICE = "shop";

  /** What a run found. */
  public record Report(
      long seconds,
      long calls,
      long idempotentFailures,
      long postsSent,
      long postsFailed,
      long postsReceivedTwice,
      long keyedPostsApplied,
      long staleReads,
      long chaosSteps,
      Resources start,
      Resources end) {

    /** Whether every count that must be zero is, and the resources stayed flat. */
    public boolean passed() {
      return idempotentFailures == 0
          && postsReceivedTwice == 0
          && staleReads == 0
          && end.flatAgainst(start);
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%d s, %d calls, %d chaos steps%n"
              + "  idempotent calls failed while a healthy replica existed: %d (goal 0)%n"
              + "  POSTs without a key: %d sent, %d failed, %d reached the server twice (goal 0)%n"
              + "  POSTs with an Idempotency-Key applied: %d (once each)%n"
              + "  reads older than the reader's own completed write: %d (goal 0)%n"
              + "  resources at start: %s%n  resources at end:   %s (flat: %s)",
          seconds,
          calls,
          chaosSteps,
          idempotentFailures,
          postsSent,
          postsFailed,
          postsReceivedTwice,
          keyedPostsApplied,
          staleReads,
          start,
          end,
          end.flatAgainst(start));
    }
  }

  /** Heap after GC, threads, file descriptors and pooled connections, at one moment. */
  public record Resources(long heapMiB, int threads, int fileDescriptors, int connections) {
    static Resources now(OkHttpClient client) {
      for (int i = 0; i < 3; i++) {
        System.gc();
      }
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
      String[] fds = new File("/proc/self/fd").list();
      return new Resources(
          heap,
          Thread.activeCount(),
          fds == null ? -1 : fds.length,
          client.connectionPool().connectionCount());
    }

    /** Within a margin of {@code start}: no growth a longer run would keep adding to. */
    boolean flatAgainst(Resources start) {
      return heapMiB <= start.heapMiB + 48
          && threads <= start.threads + 24
          && fileDescriptors <= start.fileDescriptors + 48
          && connections <= start.connections + 24;
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "heap after GC %d MiB, %d threads, %d open files," + " %d pooled connections",
          heapMiB,
          threads,
          fileDescriptors,
          connections);
    }
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    int rate = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    Report report = run(Duration.ofSeconds(seconds), rate, System.out);
    System.out.println(report);
    System.exit(report.passed() ? 0 : 1);
  }

  /** Runs the soak for {@code length} at {@code rate} calls per second in all. */
  public static Report run(Duration length, int rate, PrintStream progress) throws Exception {
    // Lettuce logs each reconnection through java.util.logging here: the soak makes hundreds.
    Logger.getLogger("io.lettuce").setLevel(Level.SEVERE);
    Logger.getLogger("io.netty").setLevel(Level.SEVERE);
    Path dir = Files.createTempDirectory("hyperlane-soak");
    Backend backend = new Backend();
    List<Replica> replicas = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      replicas.add(new Replica(i, backend));
    }
    try (Server redis = Server.redis(dir);
        Server etcd = Server.etcd(dir)) {
      String etcdUrl = "http://127.0.0.1:" + etcd.port;
      Etcd registry = new Etcd(etcdUrl);
      for (int i : new int[] {0, 1, 2, 4}) {
        registry.register(replicas.get(i));
      }
      byte[] secret = "soak-secret-soak-secret-32-bytes".getBytes(StandardCharsets.UTF_8);
      OkHttpClient base = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(5)).build();
      List<HttpCache> caches = new ArrayList<>();
      List<Hyperlane> meshes = new ArrayList<>();
      List<OkHttpClient> clients = new ArrayList<>();
      EtcdDiscovery discovery = EtcdDiscovery.builder(etcdUrl).build();
      for (int i = 0; i < 2; i++) {
        HttpCache cache =
            HttpCache.builder()
                .sharedTier(
                    RedisSharedTier.builder("redis://127.0.0.1:" + redis.port)
                        .maxReconnectDelay(Duration.ofMillis(500))
                        .build(),
                    secret)
                .build();
        Hyperlane mesh =
            Hyperlane.builder()
                .telemetry(false)
                .cache(cache)
                .timeout(Duration.ofSeconds(3))
                .retry(
                    RetryPolicy.builder()
                        .maxAttempts(3)
                        .attemptTimeout(Duration.ofMillis(300))
                        .build())
                .retryBudget(RetryBudget.builder().maxRetryShare(1.0).build())
                .service(
                    SERVICE, s -> s.discovery(discovery).awaitEndpoints(Duration.ofSeconds(10)))
                .build();
        caches.add(cache);
        meshes.add(mesh);
        clients.add(mesh.wrap(base));
      }
      Load load = new Load(clients, backend);
      // Warm up, then note the resources the run starts from.
      load.run(rate, 3, new Random(1));
      Resources start = Resources.now(base);
      load.reset();
      Chaos chaos = new Chaos(replicas, redis, etcd, registry, progress);
      chaos.start();
      long runSeconds = Math.max(10, length.toSeconds());
      load.run(rate, (int) runSeconds, new Random(2));
      chaos.stop();
      // Every replica healthy and back: let the connections settle, then note the end.
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
      base.connectionPool().evictAll();
      Resources end = Resources.now(base);
      Report report =
          new Report(
              runSeconds,
              load.calls.get(),
              load.idempotentFailures.get(),
              load.postsSent.get(),
              load.postsFailed.get(),
              backend.postsReceivedTwice(),
              backend.keyedApplied.size(),
              load.staleReads.get(),
              chaos.steps.get(),
              start,
              end);
      for (Hyperlane mesh : meshes) {
        mesh.close();
      }
      for (HttpCache cache : caches) {
        cache.close();
      }
      base.dispatcher().executorService().shutdown();
      base.connectionPool().evictAll();
      return report;
    } finally {
      replicas.forEach(Replica::close);
      deleteTree(dir);
    }
  }

  /** The state behind the service, shared by every replica, as a database would be. */
  static final class Backend {
    final Map<String, AtomicInteger> items = new ConcurrentHashMap<>();
    final AtomicInteger versions = new AtomicInteger();
    final Map<String, AtomicInteger> postArrivals = new ConcurrentHashMap<>();
    final Map<String, Boolean> keyedApplied = new ConcurrentHashMap<>();

    long postsReceivedTwice() {
      return postArrivals.values().stream().filter(n -> n.get() > 1).count();
    }

    /** Answers one request; the caller writes the answer. */
    String handle(
        String method, String path, String id, String key, int[] status, String[] cacheControl) {
      status[0] = 200;
      if (path.startsWith("/items/")) {
        String user = path.substring("/items/".length());
        AtomicInteger item = items.computeIfAbsent(user, u -> new AtomicInteger());
        if (method.equals("PUT")) {
          int version = versions.incrementAndGet();
          item.accumulateAndGet(version, Math::max);
          return Integer.toString(version);
        }
        cacheControl[0] = "max-age=30";
        return Integer.toString(item.get());
      }
      if (path.equals("/orders") && method.equals("POST")) {
        postArrivals.computeIfAbsent(id, i -> new AtomicInteger()).incrementAndGet();
        return "{\"order\":\"" + id + "\"}";
      }
      if (path.equals("/payments") && method.equals("POST")) {
        keyedApplied.putIfAbsent(key, Boolean.TRUE); // applied once per key, as servers do
        return "{\"payment\":\"" + key + "\"}";
      }
      status[0] = 404;
      return "";
    }
  }

  /**
   * One replica: up, down (its port closed), or a black hole (it takes requests, never answers).
   */
  static final class Replica {
    final int index;
    final int port;
    private final Backend backend;
    private final ExecutorService threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "soak-replica");
              t.setDaemon(true);
              return t;
            });
    private volatile HttpServer server;
    private volatile CountDownLatch blackHole; // null: answering

    Replica(int index, Backend backend) throws IOException {
      this.index = index;
      this.backend = backend;
      this.port = freePort();
      start();
    }

    String url() {
      return "http://127.0.0.1:" + port;
    }

    synchronized void start() throws IOException {
      if (server != null) {
        return;
      }
      IOException last = null;
      for (int i = 0; i < 50; i++) { // the port may take a moment to be free again
        try {
          HttpServer s =
              HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
          s.setExecutor(threads);
          s.createContext("/", this::serve);
          s.start();
          server = s;
          return;
        } catch (IOException e) {
          last = e;
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
      }
      throw last;
    }

    synchronized void kill() {
      HttpServer s = server;
      server = null;
      if (s != null) {
        s.stop(0);
      }
    }

    void blackHole(boolean on) {
      if (on) {
        blackHole = new CountDownLatch(1);
      } else {
        CountDownLatch hole = blackHole;
        blackHole = null;
        if (hole != null) {
          hole.countDown();
        }
      }
    }

    private void serve(HttpExchange exchange) throws IOException {
      try (exchange) {
        exchange.getRequestBody().readAllBytes();
        CountDownLatch hole = blackHole;
        if (hole != null) {
          try {
            hole.await(30, TimeUnit.SECONDS); // taken in, never answered while the hole lasts
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return; // closed without an answer
        }
        int[] status = new int[1];
        String[] cacheControl = new String[1];
        String body =
            backend.handle(
                exchange.getRequestMethod(),
                exchange.getRequestURI().getPath(),
                exchange.getRequestHeaders().getFirst("X-Order-Id"),
                exchange.getRequestHeaders().getFirst("Idempotency-Key"),
                status,
                cacheControl);
        if (cacheControl[0] != null) {
          exchange.getResponseHeaders().add("Cache-Control", cacheControl[0]);
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status[0], bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
          }
        }
      }
    }

    void close() {
      blackHole(false);
      kill();
      threads.shutdownNow();
    }
  }

  /** The fixed-rate load of both instances, and what it found. */
  static final class Load {
    private final List<OkHttpClient> clients;
    final AtomicLong calls = new AtomicLong();
    final AtomicLong idempotentFailures = new AtomicLong();
    final AtomicLong postsSent = new AtomicLong();
    final AtomicLong postsFailed = new AtomicLong();
    final AtomicLong staleReads = new AtomicLong();

    /** The last write through instance i for user u that completed: index i * USERS + u. */
    private final AtomicInteger[] ownWrites = new AtomicInteger[2 * USERS];

    private final AtomicLong ids = new AtomicLong();

    Load(List<OkHttpClient> clients, Backend backend) {
      this.clients = clients;
      for (int i = 0; i < ownWrites.length; i++) {
        ownWrites[i] = new AtomicInteger();
      }
    }

    void reset() {
      calls.set(0);
      idempotentFailures.set(0);
      postsSent.set(0);
      postsFailed.set(0);
      staleReads.set(0);
    }

    void run(int rate, int seconds, Random random) throws InterruptedException {
      int total = rate * seconds;
      long interval = TimeUnit.SECONDS.toNanos(1) / rate;
      CountDownLatch done = new CountDownLatch(total);
      long start = System.nanoTime();
      for (int n = 0; n < total; n++) {
        long intended = start + n * interval;
        long wait;
        while ((wait = intended - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait);
        }
        int instance = random.nextInt(2);
        int user = random.nextInt(USERS);
        int kind = random.nextInt(100);
        send(instance, user, kind, done);
      }
      if (!done.await(seconds + 60L, TimeUnit.SECONDS)) {
        throw new IllegalStateException("calls still outstanding after the run");
      }
    }

    private void send(int instance, int user, int kind, CountDownLatch done) {
      OkHttpClient client = clients.get(instance);
      AtomicInteger own = ownWrites[instance * USERS + user];
      String url = "http://" + SERVICE + "/items/u" + user;
      Request request;
      boolean idempotent = true;
      boolean isRead = false;
      int floor = own.get(); // what this read must see at least: this instance's completed write
      if (kind < 60) {
        request = new Request.Builder().url(url).build();
        isRead = true;
      } else if (kind < 80) {
        request = new Request.Builder().url(url).put(RequestBody.create("{}", JSON)).build();
      } else if (kind < 90) {
        idempotent = false;
        postsSent.incrementAndGet();
        request =
            new Request.Builder()
                .url("http://" + SERVICE + "/orders")
                .header("X-Order-Id", "o" + ids.incrementAndGet())
                .post(RequestBody.create("{}", JSON))
                .build();
      } else {
        request =
            new Request.Builder()
                .url("http://" + SERVICE + "/payments")
                .header("Idempotency-Key", "k" + ids.incrementAndGet())
                .post(RequestBody.create("{}", JSON))
                .build();
      }
      boolean read = isRead;
      boolean safe = idempotent;
      boolean write = kind >= 60 && kind < 80;
      calls.incrementAndGet();
      client
          .newCall(request)
          .enqueue(
              new Callback() {
                @Override
                public void onResponse(Call call, Response response) {
                  try (response) {
                    String body = response.body().string();
                    if (!response.isSuccessful()) {
                      failed(call, "HTTP " + response.code());
                    } else if (read && Integer.parseInt(body.trim()) < floor) {
                      staleReads.incrementAndGet();
                    } else if (write) {
                      own.accumulateAndGet(Integer.parseInt(body.trim()), Math::max);
                    }
                  } catch (IOException | NumberFormatException e) {
                    failed(call, e.toString());
                  } finally {
                    done.countDown();
                  }
                }

                @Override
                public void onFailure(Call call, IOException e) {
                  failed(call, e.toString());
                  done.countDown();
                }

                private void failed(Call call, String what) {
                  if (safe) {
                    // The first few, whole, so that a failed run says what went wrong.
                    if (idempotentFailures.incrementAndGet() <= 5) {
                      System.err.println(
                          "soak: idempotent call failed: "
                              + call.request().method()
                              + " "
                              + call.request().url()
                              + ": "
                              + what);
                    }
                  } else {
                    postsFailed.incrementAndGet();
                  }
                }
              });
    }
  }

  /**
   * The chaos, one step every 1.5 s, in a fixed cycle: a replica killed and restarted 3 s later,
   * one a black hole for 3 s, Redis killed and restarted, etcd killed and restarted, and every step
   * an endpoint registered or deregistered. At most two replicas are unhealthy at once, and at
   * least two healthy ones are registered at every moment.
   */
  static final class Chaos {
    private final List<Replica> replicas;
    private final Server redis;
    private final Server etcd;
    private final Etcd registry;
    private final PrintStream progress;
    final AtomicInteger steps = new AtomicInteger();
    private volatile boolean running = true;
    private Thread thread;

    Chaos(List<Replica> replicas, Server redis, Server etcd, Etcd registry, PrintStream progress) {
      this.replicas = replicas;
      this.redis = redis;
      this.etcd = etcd;
      this.registry = registry;
      this.progress = progress;
    }

    void start() {
      thread = new Thread(this::loop, "soak-chaos");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join(TimeUnit.SECONDS.toMillis(30));
      // Everything back to health for the end of the run.
      for (Replica r : replicas) {
        r.blackHole(false);
        try {
          r.start();
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }
      redis.ensureRunning();
      etcd.ensureRunning();
    }

    private void loop() {
      int step = 0;
      while (running) {
        try {
          switch (step % 8) {
            case 0 -> replicas.get(4).kill();
            case 2 -> replicas.get(4).start();
            case 1 -> replicas.get(0).blackHole(true);
            case 3 -> replicas.get(0).blackHole(false);
            case 4 -> redis.kill();
            case 5 -> redis.ensureRunning();
            case 6 -> etcd.kill();
            case 7 -> etcd.ensureRunning();
            default -> {}
          }
          // r2 and r3 take turns being registered (etcd may be down: then nothing changes).
          Replica in = replicas.get(step % 2 == 0 ? 3 : 2);
          Replica out = replicas.get(step % 2 == 0 ? 2 : 3);
          registry.register(in);
          registry.deregister(out);
          steps.incrementAndGet();
          if (progress != null && step % 8 == 7) {
            progress.printf("soak: %d chaos steps%n", steps.get());
          }
        } catch (IOException e) {
          // etcd down while registering: the next step tries again
        }
        step++;
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1500));
      }
    }
  }

  /** The etcd keys of the replicas, written and deleted over etcd's JSON API. */
  static final class Etcd {
    private final String url;
    private final OkHttpClient http =
        new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(2)).build();

    Etcd(String url) {
      this.url = url;
    }

    void register(Replica r) throws IOException {
      post(
          "/v3/kv/put",
          "{\"key\":\""
              + b64(key(r))
              + "\",\"value\":\""
              + b64("{\"url\":\"" + r.url() + "\"}")
              + "\"}");
    }

    void deregister(Replica r) throws IOException {
      post("/v3/kv/deleterange", "{\"key\":\"" + b64(key(r)) + "\"}");
    }

    private static String key(Replica r) {
      return "/hyperlane/services/" + SERVICE + "/replica-" + r.index;
    }

    private void post(String path, String json) throws IOException {
      try (Response response =
          http.newCall(
                  new Request.Builder()
                      .url(url + path)
                      .post(RequestBody.create(json, JSON))
                      .build())
              .execute()) {
        if (!response.isSuccessful()) {
          throw new IOException("etcd answered " + response.code());
        }
      }
    }

    private static String b64(String s) {
      return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** A Redis or etcd process of the soak's own, which it kills and starts again. */
  static final class Server implements AutoCloseable {
    final int port;
    private final List<String> command;
    private final Path log;
    private final String probe;
    private Process process;

    private Server(int port, List<String> command, Path log, String probe) throws IOException {
      this.port = port;
      this.command = command;
      this.log = log;
      this.probe = probe;
      ensureRunning();
    }

    static Server redis(Path dir) throws IOException {
      int port = freePort();
      return new Server(
          port,
          List.of(
              "redis-server",
              "--bind",
              "127.0.0.1",
              "--port",
              Integer.toString(port),
              "--save",
              "",
              "--appendonly",
              "no",
              "--dir",
              dir.toString()),
          dir.resolve("redis.log"),
          "redis");
    }

    static Server etcd(Path dir) throws IOException {
      int port = freePort();
      int peer = freePort();
      String client = "http://127.0.0.1:" + port;
      String peerUrl = "http://127.0.0.1:" + peer;
      return new Server(
          port,
          List.of(
              "etcd",
              "--name",
              "soak",
              "--data-dir",
              dir.resolve("etcd").toString(),
              "--listen-client-urls",
              client,
              "--advertise-client-urls",
              client,
              "--listen-peer-urls",
              peerUrl,
              "--initial-advertise-peer-urls",
              peerUrl,
              "--initial-cluster",
              "soak=" + peerUrl),
          dir.resolve("etcd.log"),
          "etcd");
    }

    synchronized void kill() {
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

    synchronized void ensureRunning() {
      if (process != null && process.isAlive()) {
        return;
      }
      try {
        process =
            new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
      } catch (IOException e) {
        throw new IllegalStateException(probe + " could not start (is it on the PATH?): " + e, e);
      }
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < until) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
          return;
        } catch (IOException e) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
      }
      throw new IllegalStateException(probe + " did not start on port " + port + "; see " + log);
    }

    @Override
    public void close() {
      kill();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind
    }
  }
}
