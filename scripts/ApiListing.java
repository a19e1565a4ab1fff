import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Lists the public API of one module's compiled classes, and compares it with the listing checked in
 * beside the module, so that a change to the public API shows in review as a diff of that file.
 *
 * <p>Run by the build (exec-maven-plugin, in {@code verify}) with the module's runtime classpath:
 *
 * <pre>
 * java -cp CLASSPATH scripts/ApiListing.java CLASSES_DIR LISTING_FILE [update]
 * </pre>
 *
 * <p>The API is every public type outside an {@code internal} package whose enclosing types are
 * public too, with its public and protected constructors, methods and fields (as declared, sorted,
 * with their generic signatures). Without {@code update} it exits with status 1 and prints the
 * difference when the listing is out of date; with it, it rewrites the listing.
 */
public final class ApiListing {

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: ApiListing CLASSES_DIR LISTING_FILE [update]");
      System.exit(2);
    }
    Path classes = Path.of(args[0]);
    Path listing = Path.of(args[1]);
    boolean update = args.length > 2 && args[2].equals("true");
    if (!Files.isDirectory(classes) && !Files.exists(listing)) {
      return; // a module with no classes (an aggregator) and no API
    }

    String actual = list(classes);
    String expected = Files.exists(listing) ? Files.readString(listing, StandardCharsets.UTF_8) : "";
    if (actual.equals(expected)) {
      return;
    }
    if (update) {
      Files.createDirectories(listing.toAbsolutePath().getParent());
      Files.writeString(listing, actual, StandardCharsets.UTF_8);
      System.out.println("API listing written: " + listing);
      return;
    }
    System.err.println("The public API differs from " + listing + ":");
    printDifference(expected, actual);
    System.err.println(
        "If the change is intended, regenerate the listing with -Dapi.update=true and commit it.");
    System.exit(1);
  }

  static String list(Path classes) throws IOException, ClassNotFoundException {
    List<String> names;
    try (Stream<Path> files = Files.walk(classes)) {
      names =
          files
              .map(classes::relativize)
              .map(Path::toString)
              .filter(f -> f.endsWith(".class"))
              .filter(f -> !f.equals("module-info.class") && !f.endsWith("package-info.class"))
              .map(f -> f.substring(0, f.length() - ".class".length()).replace('/', '.'))
              .sorted()
              .collect(Collectors.toList());
    }
    ClassLoader loader = ApiListing.class.getClassLoader();
    StringBuilder out = new StringBuilder();
    for (String name : names) {
      Class<?> type = Class.forName(name, false, loader);
      if (!isApi(type)) {
        continue;
      }
      out.append(declaration(type)).append('\n');
      List<String> members = new ArrayList<>();
      for (Field f : type.getDeclaredFields()) {
        if (visible(f) && !f.isSynthetic()) {
          members.add(f.toGenericString());
        }
      }
      for (Constructor<?> c : type.getDeclaredConstructors()) {
        if (visible(c) && !c.isSynthetic() && !(type.isEnum())) {
          members.add(c.toGenericString());
        }
      }
      for (Method m : type.getDeclaredMethods()) {
        if (visible(m) && !m.isSynthetic() && !m.isBridge()) {
          members.add(m.toGenericString());
        }
      }
      String qualifier = type.getTypeName() + ".";
      members.stream()
          .map(m -> m.replace(qualifier, ""))
          .map(m -> m.replace("synchronized ", "").replace("volatile ", "").replace("transient ", ""))
          .sorted()
          .forEach(m -> out.append("  ").append(m).append('\n'));
      out.append('\n');
    }
    return out.toString();
  }

  private static boolean isApi(Class<?> type) {
    if (type.isSynthetic() || type.isAnonymousClass() || type.isLocalClass()) {
      return false;
    }
    if (Arrays.asList(type.getPackageName().split("\\.")).contains("internal")) {
      return false;
    }
    for (Class<?> t = type; t != null; t = t.getEnclosingClass()) {
      if (!Modifier.isPublic(t.getModifiers())) {
        return false;
      }
    }
    return true;
  }

  private static boolean visible(Member member) {
    int modifiers = member.getModifiers();
    boolean inheritable = !Modifier.isFinal(member.getDeclaringClass().getModifiers());
    return Modifier.isPublic(modifiers)
        || (Modifier.isProtected(modifiers) && inheritable)
        || (member instanceof Executable && member.getDeclaringClass().isInterface()
            && !Modifier.isPrivate(modifiers));
  }

  private static String declaration(Class<?> type) {
    StringBuilder d = new StringBuilder(type.toGenericString());
    Type superclass = type.getGenericSuperclass();
    if (superclass != null
        && superclass != Object.class
        && !type.isEnum()
        && !type.isRecord()) {
      d.append(" extends ").append(superclass.getTypeName());
    }
    Type[] interfaces = type.getGenericInterfaces();
    if (interfaces.length > 0) {
      d.append(type.isInterface() ? " extends " : " implements ");
      d.append(Arrays.stream(interfaces).map(Type::getTypeName).collect(Collectors.joining(", ")));
    }
    if (type.isSealed()) {
      d.append(" permits ");
      d.append(
          Arrays.stream(type.getPermittedSubclasses())
              .map(Class::getTypeName)
              .sorted()
              .collect(Collectors.joining(", ")));
    }
    return d.toString();
  }

  private static void printDifference(String expected, String actual) {
    List<String> was = expected.lines().collect(Collectors.toList());
    List<String> now = actual.lines().collect(Collectors.toList());
    for (String line : was) {
      if (!now.contains(line)) {
        System.err.println("- " + line);
      }
    }
    for (String line : now) {
      if (!was.contains(line)) {
        System.err.println("+ " + line);
      }
    }
  }
}
