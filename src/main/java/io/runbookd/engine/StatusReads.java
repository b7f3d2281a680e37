package io.runbookd.engine;

import io.runbookd.connect.ConnectApi;
import io.runbookd.connect.ConnectRestException;
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
 * Connector status reads of alert processing, coalesced per Connect cluster: the reads asked for in one
 * turn of the context go out together on the next turn, and those asked for while a listing of the
 * cluster is in flight go out together when it ends. A batch of one connector is one {@code GET
 * /connectors/{name}/status}, which holds no other read back; a batch of several is ONE {@code GET
 * /connectors?expand=status&expand=info} ({@link ConnectApi#statusesAndInfo}), whose statuses carry the
 * traces. A connector absent from that listing, and every connector of a batch whose listing failed, is
 * read on its own, so a failure costs a round trip, never a verdict: a 404 still means the connector does
 * not exist. A cluster that answers the listing with 404 (Connect before 2.3, KIP-465) is read connector
 * by connector from then on.
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
    if (!c.listing && !c.scheduled) {
      c.scheduled = true;
      context.runOnContext(v -> flush(c));
    }
    return p.future();
  }

  private static final class Cluster {
    final ConnectApi api;
    Map<String, List<Promise<ConnectorStatus>>> waiting = new LinkedHashMap<>();
    /** A listing is in flight: reads asked for meanwhile wait for it and go out together after it. */
    boolean listing;
    boolean scheduled;
    /** The cluster answered the listing with 404 (a Connect before KIP-465): only single reads. */
    boolean noListing;

    Cluster(ConnectApi api) {
      this.api = api;
    }
  }

  /**
   * Sends the reads waiting: one read alone (never holding the others back, so a read that stalls
   * delays only its own connector), several in one listing.
   */
  private void flush(Cluster c) {
    c.scheduled = false;
    if (c.waiting.isEmpty()) {
      return;
    }
    Map<String, List<Promise<ConnectorStatus>>> batch = c.waiting;
    c.waiting = new LinkedHashMap<>();
    if (batch.size() == 1 || c.noListing) {
      one(c.api, batch);
      return;
    }
    c.listing = true;
    Future<Map<String, ConnectorStatus>> listed;
    try {
      listed = c.api.statusesAndInfo();
    } catch (RuntimeException e) {
      listed = Future.failedFuture(e);
    }
    listed.onComplete(ar -> onContext(() -> {
      c.listing = false;
      Map<String, List<Promise<ConnectorStatus>>> alone = new LinkedHashMap<>();
      if (ar.failed()) {
        if (ar.cause() instanceof ConnectRestException e && e.isNotFound()) {
          c.noListing = true;
        }
        LOG.info("cluster={} connectors={} msg=\"connector listing failed; reading each status on its own: {}\"",
            c.api.cluster(), batch.size(), ar.cause().getMessage());
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
      if (!alone.isEmpty()) {
        one(c.api, alone);
      }
      if (!c.scheduled) {
        flush(c);
      }
    }));
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
