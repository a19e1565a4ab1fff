package io.hyperlane.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The published set stays consistent: every library module (one with a checked-in API listing) is
 * in the BOM at the parent's version, and nothing else is.
 */
class ReleaseArtifactsTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @Test
  void theBomManagesEveryLibraryModuleAtTheParentsVersionAndNothingElse() throws Exception {
    List<String> libraries = new ArrayList<>();
    for (String module : all("<module>([^<]+)</module>", read("pom.xml"))) {
      if (Files.isDirectory(ROOT.resolve(module).resolve("api"))) {
        libraries.add(module);
      }
    }
    assertThat(libraries).contains("hyperlane-resilience", "hyperlane-client");

    String bom = read("hyperlane-bom/pom.xml");
    List<String> managed = all("<artifactId>(hyperlane-[^<]+)</artifactId>", bom);
    managed.remove("hyperlane-bom");
    assertThat(managed).containsExactlyInAnyOrderElementsOf(libraries);
    assertThat(bom).doesNotContain("<parent>");
    assertThat(first("<artifactId>hyperlane-bom</artifactId>\\s*<version>([^<]+)</version>", bom))
        .isEqualTo(
            first(
                "<artifactId>hyperlane-parent</artifactId>\\s*<version>([^<]+)</version>",
                read("pom.xml")));
  }

  @Test
  void everyLibraryModuleHasAnApiListingThatIsNotEmpty() throws Exception {
    try (Stream<Path> listings = Files.list(ROOT)) {
      List<Path> modules =
          listings.filter(p -> Files.isDirectory(p.resolve("api"))).sorted().toList();
      assertThat(modules).hasSizeGreaterThanOrEqualTo(4);
      for (Path module : modules) {
        Path listing = module.resolve("api").resolve(module.getFileName() + ".api");
        assertThat(listing).isNotEmptyFile();
      }
    }
  }

  private static String read(String path) throws Exception {
    return Files.readString(ROOT.resolve(path)).replaceAll("(?s)<!--.*?-->", "");
  }

  private static String first(String regex, String text) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as("%s in the POM", regex).isTrue();
    return m.group(1);
  }

  private static List<String> all(String regex, String text) {
    Matcher m = Pattern.compile(regex).matcher(text);
    List<String> found = new ArrayList<>();
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }
}
