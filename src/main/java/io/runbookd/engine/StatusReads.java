package io.runbookd.engine;

import io.runbookd.connect.ConnectApi;
import io.runbookd.model.ConnectorStatus;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connector status reads of alert processing, coalesced per Connect cluster: the reads asked for while
 * the cluster has none in flight go out together on the next turn of the context, and those asked for
 * while one is in flight go out together when it ends. A batch of one connector is one {@code GET
 * /connectors/{name}/status}; a batch of several is ONE {@code GET /connectors?expand=status&expand=info}
 * ({@link ConnectApi#statusesAndInfo}), whose statuses carry the traces. A connector absent from that
 * listing, and every connector of a batch whose listing failed, is read on its own, so a failure (or a
 * Connect without the listing) costs a round trip, never a verdict: a 404 still means the connector does
 * not exist.
 *
 * <p>Confined to one Vert.x context (the engine's); futures complete on it.
 */
final class StatusReads {
  private static final Logger LOG = LoggerFactory.getLogger(StatusReads.class);

  private final Context context;
  private final Map<String, Cluster> clusters = new HashMap<>();

  /** @param context the context every call comes from and every future completes on */
  StatusReads(Context context) {
    this.context = context;
  }

  /** The status of {@code connector} on {@code api}'s cluster, read with the other reads asked for meanwhile. */
  Future<ConnectorStatus> status(ConnectApi api, String connector) {
    Cluster c = clusters.computeIfAbsent(api.cluster(), k -> new Cluster(api));
    Promise<ConnectorStatus> p = Promise.promise();
    c.waiting.computeIfAbsent(connector, k -> new ArrayList<>()).add(p);
    if (!c.inFlight && !c.scheduled) {
      c.scheduled = true;
      context.runOnContext(v -> flush(c));
    }
    return p.future();
  }

  private static final class Cluster {
    final ConnectApi api;
    Map<String, List<Promise<ConnectorStatus>>> waiting = new LinkedHashMap<>();
    boolean inFlight;
    boolean scheduled;

    Cluster(ConnectApi api) {
      this.api = api;
    }
  }

  private void flush(Cluster c) {
    c.scheduled = false;
    if (c.waiting.isEmpty()) {
      return;
    }
    Map<String, List<Promise<ConnectorStatus>>> batch = c.waiting;
    c.waiting = new LinkedHashMap<>();
    c.inFlight = true;
    Future<Void> done = batch.size() == 1 ? one(c.api, batch) : listing(c.api, batch);
    done.onComplete(ar -> onContext(() -> {
      c.inFlight = false;
      flush(c);
    }));
  }

  private Future<Void> listing(ConnectApi api, Map<String, List<Promise<ConnectorStatus>>> batch) {
    Promise<Void> done = Promise.promise();
    Future<Map<String, ConnectorStatus>> listed;
    try {
      listed = api.statusesAndInfo();
    } catch (RuntimeException e) {
      listed = Future.failedFuture(e);
    }
    listed.onComplete(ar -> onContext(() -> {
      Map<String, List<Promise<ConnectorStatus>>> alone = new LinkedHashMap<>();
      if (ar.failed()) {
        LOG.info("cluster={} connectors={} msg=\"connector listing failed; reading each status on its own: {}\"",
            api.cluster(), batch.size(), ar.cause().getMessage());
        alone.putAll(batch);
      } else {
        batch.forEach((name, promises) -> {
          ConnectorStatus s = ar.result().get(name);
          if (s == null) {
            alone.put(name, promises);
          } else {
            promises.forEach(p -> p.tryComplete(s));
          }
        });
      }
      (alone.isEmpty() ? Future.<Void>succeededFuture() : one(api, alone)).onComplete(done);
    }));
    return done.future();
  }

  /** Reads each connector of {@code batch} on its own, concurrently; completes when all have answered. */
  private Future<Void> one(ConnectApi api, Map<String, List<Promise<ConnectorStatus>>> batch) {
    List<Future<ConnectorStatus>> all = new ArrayList<>(batch.size());
    batch.forEach((name, promises) -> {
      Future<ConnectorStatus> f;
      try {
        f = api.status(name);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> onContext(() -> promises.forEach(p -> complete(p, ar))));
      all.add(f);
    });
    return Future.join(all).transform(ar -> Future.succeededFuture());
  }

  private static void complete(Promise<ConnectorStatus> p, AsyncResult<ConnectorStatus> ar) {
    if (ar.succeeded()) {
      p.tryComplete(ar.result());
    } else {
      p.tryFail(ar.cause());
    }
  }

  private void onContext(Runnable r) {
    if (io.vertx.core.Vertx.currentContext() == context) {
      r.run();
    } else {
      context.runOnContext(v -> r.run());
    }
  }
}
