package io.hyperlane.client;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Captures what slf4j-simple (the test binding) prints: it writes to whatever {@code System.err} is
 * at the moment of each log call.
 */
final class LogCapture implements AutoCloseable {

  private final PrintStream original = System.err;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

  LogCapture() {
    System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
  }

  List<String> lines(String level) {
    System.err.flush();
    return Arrays.stream(buffer.toString(StandardCharsets.UTF_8).split("\n"))
        .filter(line -> line.contains(" " + level + " io.hyperlane"))
        .collect(Collectors.toList());
  }

  /** Everything printed so far. */
  String all() {
    System.err.flush();
    return buffer.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    System.setErr(original);
    original.print(buffer.toString(StandardCharsets.UTF_8));
  }
}
