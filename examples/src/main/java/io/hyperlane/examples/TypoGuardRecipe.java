package io.hyperlane.examples;

import io.hyperlane.client.Hyperlane;
import io.hyperlane.client.UnknownServiceException;
import java.io.IOException;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The typo guard: a call to {@code http://inventroy/…} is refused before anything is sent, with an
 * exception that names the service meant, instead of leaving the mesh as a plain DNS lookup.
 */
public final class TypoGuardRecipe {

  /** The configuration to copy; the rest of this class runs it. */
  static Hyperlane configure(String endpoint) {
    return Hyperlane.builder()
        .typoGuard(true) // short host names must be services
        .service("inventory", endpoint)
        .build();
  }

  // ---- below: how the smoke test runs the recipe against local replicas ----

  public static void main(String[] args) throws IOException {
    System.out.println(run("http://127.0.0.1:8081"));
  }

  /** Calls a misspelt service and returns what the caller is told. */
  public static String run(String endpoint) throws IOException {
    try (Hyperlane hyperlane = configure(endpoint)) {
      OkHttpClient client = hyperlane.wrap(new OkHttpClient());
      Request typo = new Request.Builder().url("http://inventroy/items/42").build();
      try (Response response = client.newCall(typo).execute()) {
        return "sent: " + response.code();
      } catch (UnknownServiceException e) {
        return e.getMessage(); // "inventroy" is not a registered service (did you mean ...)
      }
    }
  }
}
