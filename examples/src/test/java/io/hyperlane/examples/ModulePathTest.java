package io.hyperlane.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application on the module path sees Hyperlane's API and nothing else: a module that requires
 * {@code io.hyperlane.client} and {@code io.hyperlane.discovery} compiles against their exported
 * packages (and the resilience and cache packages they require transitively), and one that reaches
 * into {@code io.hyperlane.resilience.internal} does not.
 */
class ModulePathTest {

  /** What the libraries need at compile time, taken from this test's own class path. */
  private static final Pattern LIBRARY =
      Pattern.compile(
          "hyperlane-(resilience|cache|client|discovery|testing|load-report)|okhttp|okio|kotlin-stdlib"
              + "|resilience4j|slf4j-api|caffeine|opentelemetry-(api|context)|jspecify|jackson"
              + "|junit-jupiter-api|junit-platform-commons|opentest4j|apiguardian");

  @TempDir Path dir;

  @Test
  void aModuleThatRequiresHyperlaneCompilesAgainstItsApi() throws Exception {
    String errors =
        compile(
            "requires io.hyperlane.client; requires io.hyperlane.discovery;"
                + " requires io.hyperlane.testing; requires io.hyperlane.loadreport;",
            "import io.hyperlane.client.Hyperlane;\n"
                + "import io.hyperlane.resilience.RetryPolicy;\n"
                + "import io.hyperlane.cache.HttpCache;\n"
                + "import io.hyperlane.discovery.EtcdDiscovery;\n"
                + "import io.hyperlane.testing.FakeTime;\n"
                + "import io.hyperlane.loadreport.LoadReportHttpFilter;\n"
                + "class App {\n"
                + "  Hyperlane build() {\n"
                + "    FakeTime time = new FakeTime();\n"
                + "    return Hyperlane.builder().ticker(time).retry(RetryPolicy.none())\n"
                + "        .service(\"inventory\", \"http://127.0.0.1:8080\").build();\n"
                + "  }\n"
                + "  HttpCache cache;\n"
                + "  EtcdDiscovery discovery;\n"
                + "  LoadReportHttpFilter filter;\n"
                + "}\n");
    assertThat(errors).isEmpty();
  }

  @Test
  void theInternalPackageIsNotVisibleToAnApplication() throws Exception {
    String errors =
        compile(
            "requires io.hyperlane.client;",
            "import io.hyperlane.resilience.internal.WatchedCircuit;\n"
                + "class App { WatchedCircuit circuit; }\n");
    assertThat(errors)
        .contains("io.hyperlane.resilience.internal")
        .containsAnyOf("is not visible", "does not export");
  }

  private String compile(String requires, String source) throws Exception {
    Path src = dir.resolve("src");
    Path pkg = src.resolve("app");
    Files.createDirectories(pkg);
    Files.writeString(src.resolve("module-info.java"), "module app { " + requires + " }\n");
    Files.writeString(pkg.resolve("App.java"), "package app;\n" + source);
    String modulePath =
        List.of(System.getProperty("java.class.path").split(File.pathSeparator)).stream()
            .filter(entry -> LIBRARY.matcher(entry).find())
            .filter(entry -> !entry.contains("test-classes") && !entry.endsWith("-tests.jar"))
            .collect(Collectors.joining(File.pathSeparator));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status =
        javac.run(
            null,
            out,
            out,
            "-d",
            dir.resolve("out").toString(),
            "--module-path",
            modulePath,
            src.resolve("module-info.java").toString(),
            pkg.resolve("App.java").toString());
    return status == 0 ? "" : out.toString(StandardCharsets.UTF_8);
  }
}
