package io.hyperlane.cache;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A loopback origin that answers one request with a chunked body of three lines, sending the first
 * at once and the rest only when the test says so: a cache that buffers the body before returning
 * never lets the caller see the first line.
 */
final class StreamingOrigin implements AutoCloseable {

  private final ServerSocket server;
  private final Thread thread;

  StreamingOrigin(String contentType, String cacheControl, CountDownLatch rest) throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    thread =
        new Thread(
            () -> {
              try (Socket socket = server.accept()) {
                socket.getInputStream().read(new byte[8192]);
                OutputStream out = socket.getOutputStream();
                out.write(
                    ("HTTP/1.1 200 OK\r\nContent-Type: "
                            + contentType
                            + "\r\nCache-Control: "
                            + cacheControl
                            + "\r\nTransfer-Encoding: chunked\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                chunk(out, "data: 1\n");
                out.flush();
                rest.await(10, TimeUnit.SECONDS);
                chunk(out, "data: 2\n");
                chunk(out, "data: 3\n");
                out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
              } catch (IOException | InterruptedException ignored) {
                // the test's assertions say what went wrong
              }
            },
            "streaming-origin");
    thread.setDaemon(true);
    thread.start();
  }

  private static void chunk(OutputStream out, String data) throws IOException {
    byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
    out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.write(bytes);
    out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
  }

  String url() {
    return "http://127.0.0.1:" + server.getLocalPort() + "/events";
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
