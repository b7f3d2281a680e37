package io.runbookd.probe;

import io.runbookd.alert.LinearPattern;
import io.runbookd.model.Endpoint;
import io.runbookd.model.ProbeResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;

/**
 * Probes a connector's dependency from runbookd's own network (not the Connect worker's): a TCP connect,
 * or an HTTP GET with an expected status and body. Non-blocking; every probe ends within its timeout,
 * and a probe that cannot reach the endpoint completes with {@link ProbeResult.Outcome#UNREACHABLE}, never
 * with a failed future.
 */
public interface Prober {
  /** A prober on {@code vertx}'s event loop (non-blocking sockets; nothing waits on a thread). */
  static Prober create(Vertx vertx) {
    return new VertxProber(vertx);
  }

  /** REACHED when a TCP connection to {@code endpoint} opens within {@code timeout}; it is closed at once. */
  Future<ProbeResult> tcp(Endpoint endpoint, Duration timeout);

  /**
   * REACHED when {@code GET path} on {@code endpoint}'s URL answers {@code status} (0: any 2xx) and, when
   * {@code body} is not null, a body (first 64 KiB) in which {@code body} is found, all within {@code timeout}.
   */
  Future<ProbeResult> http(Endpoint endpoint, String path, int status, LinearPattern body, Duration timeout);
}
