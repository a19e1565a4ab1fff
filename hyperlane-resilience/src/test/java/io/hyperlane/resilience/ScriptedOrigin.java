package io.hyperlane.resilience;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSource;
import okio.ForwardingSource;
import okio.Okio;
import okio.Source;

/**
 * The last interceptor of a client: answers each request from a script, in order, without a socket,
 * and records what reached it — the request and the timeouts and resend setting of its chain. Past
 * the end of the script every request gets a 200. Each reply can tell whether its body was closed.
 */
public final class ScriptedOrigin implements Interceptor {

  /** One step of the script. */
  @FunctionalInterface
  public interface Answer {
    Response answer(Chain chain) throws IOException, InterruptedException;
  }

  /** What reached the origin: a request and the chain it came down. */
  public record Arrival(
      Request request,
      int readTimeoutMillis,
      boolean retryOnConnectionFailure,
      boolean bodyOneShot) {}

  /** A scripted response whose closing is observed. */
  public static final class Reply {
    private final AtomicBoolean closed = new AtomicBoolean();

    public Reply() {}

    public boolean closed() {
      return closed.get();
    }
  }

  private final BlockingQueue<Answer> script = new LinkedBlockingQueue<>();

  /** An origin with nothing scripted yet. */
  public ScriptedOrigin() {}

  public final List<Arrival> arrivals = new CopyOnWriteArrayList<>();

  /** A client that ends in this origin, with {@code interceptors} above it. */
  public OkHttpClient client(Interceptor... interceptors) {
    OkHttpClient.Builder builder = new OkHttpClient.Builder();
    for (Interceptor interceptor : interceptors) {
      builder.addInterceptor(interceptor);
    }
    return builder.addInterceptor(this).build();
  }

  public ScriptedOrigin then(Answer answer) {
    script.add(answer);
    return this;
  }

  /** Adds a response with this status and headers (name, value, ...) and returns its handle. */
  public Reply thenStatus(int code, String... headers) {
    Reply reply = new Reply();
    then(chain -> respond(chain.request(), code, "body " + code, null, reply, headers));
    return reply;
  }

  public ScriptedOrigin thenFail(IOException failure) {
    return then(
        chain -> {
          throw failure;
        });
  }

  public int count() {
    return arrivals.size();
  }

  public Request request(int index) {
    return arrivals.get(index).request();
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    arrivals.add(
        new Arrival(
            request,
            chain.readTimeoutMillis(),
            chain.getRetryOnConnectionFailure(),
            request.body() != null && request.body().isOneShot()));
    Answer answer = script.poll();
    if (answer == null) {
      return respond(request, 200, "ok", null, new Reply());
    }
    try {
      return answer.answer(chain);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted at the origin");
    }
  }

  /** A response to {@code request}, its body {@code text} unless {@code source} is given. */
  public static Response respond(
      Request request, int code, String text, Source source, Reply reply, String... headers) {
    Buffer buffer = new Buffer().writeUtf8(text);
    BufferedSource body =
        Okio.buffer(
            new ForwardingSource(source != null ? source : buffer) {
              @Override
              public void close() throws IOException {
                reply.closed.set(true);
                super.close();
              }
            });
    long length = source != null ? -1 : buffer.size();
    Response.Builder builder =
        new Response.Builder()
            .request(request)
            .protocol(Protocol.HTTP_1_1)
            .code(code)
            .message("scripted");
    for (int i = 0; i + 1 < headers.length; i += 2) {
      builder.addHeader(headers[i], headers[i + 1]);
    }
    String type = null;
    for (int i = 0; i + 1 < headers.length; i += 2) {
      if (headers[i].equalsIgnoreCase("Content-Type")) {
        type = headers[i + 1];
      }
    }
    MediaType mediaType = type == null ? null : MediaType.parse(type);
    return builder.body(ResponseBody.create(body, mediaType, length)).build();
  }
}
