/**
 * Runnable recipes to copy from, one per feature, and the demo the README's first command runs.
 * Each recipe starts its own {@link io.hyperlane.examples.LocalReplica} servers so it runs as it
 * stands; {@code ExamplesSmokeTest} runs them all.
 */
package io.hyperlane.examples;
