package io.runbookd.http;

import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.loader.ClasspathLoader;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import io.runbookd.alert.WebhookMessage;
import io.runbookd.alert.WebhookParser;
import io.runbookd.engine.AlertExplanation;
import io.runbookd.engine.ClusterGuardState;
import io.runbookd.engine.IncidentDetail;
import io.runbookd.engine.Operations;
import io.runbookd.model.Approval;
import io.runbookd.model.RetryOutcome;
import io.runbookd.model.IncidentQuery;
import io.runbookd.rules.Durations;
import io.runbookd.rules.Rule;
import io.runbookd.rules.RuleEvaluator;
import io.runbookd.rules.RuleSet;
import io.runbookd.rules.Step;
import io.vertx.core.AsyncResult;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web page {@code /ui}: incidents (open and recent, with filters), one incident (timeline, trace with
 * its cause line highlighted, steps with the connector's state before and after, escalations, the
 * approval plan with Approve / Reject), the rules in force with their file and line, an explain form, and
 * the guards of each Connect cluster. Server-rendered with Pebble; htmx (served from the jar, a WebJar)
 * refreshes the parts that change every 2 s, so a page follows its incident without a reload, and posts
 * decisions. Without JavaScript the pages still render and the forms still post (the answer redirects).
 *
 * <p>Authentication is the API's (operator scope, see {@link Auth}); read-only viewers see the same
 * pages without buttons, and {@link Auth} refuses their decisions (403). Every decision must carry the
 * principal's CSRF token and come from this origin ({@link UiCsrf}). Everything shown is HTML-escaped
 * (Pebble's autoescaping) and has configured secrets masked ({@link Redacted}).
 */
public final class UiRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(UiRoutes.class);
  private static final String HTMX = "META-INF/resources/webjars/htmx.org/2.0.7/dist/htmx.min.js";
  static final int MAX_FORM_BYTES = 1024 * 1024;

  private final Operations operations;
  private final PebbleEngine pebble;
  private final UiCsrf csrf = new UiCsrf();
  private final byte[] htmx;

  private UiRoutes(Operations operations) {
    this.operations = Objects.requireNonNull(operations, "operations");
    this.pebble = new PebbleEngine.Builder().loader(loader()).autoEscaping(true).strictVariables(false)
        .newLineTrimming(false).build();
    this.htmx = resource(HTMX);
  }

  private static ClasspathLoader loader() {
    ClasspathLoader l = new ClasspathLoader(UiRoutes.class.getClassLoader());
    l.setPrefix("ui");
    l.setSuffix(".peb");
    return l;
  }

  private static byte[] resource(String path) {
    try (InputStream in = UiRoutes.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + path + " (the htmx.org WebJar)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + path, e);
    }
  }

  /**
   * Adds the {@code /ui} routes to {@code router}; everything is asked of {@code operations}. The
   * router must run {@link Auth} first.
   */
  public static void mount(Router router, Operations operations) {
    UiRoutes ui = new UiRoutes(operations);
    // Once a browser has logged in to /ui it sends the credentials with any request to this listener, the
    // JSON API's included, even one another site's page makes it send: refuse every state-changing request
    // that a browser marks as cross-site, first (before authentication and before any body is read).
    router.route().order(-1).handler(UiRoutes::refuseCrossSite);
    router.get("/ui").handler(ctx -> redirect(ctx, "/ui/incidents"));
    router.get("/ui/static/htmx.min.js").handler(ui::htmx);
    router.get("/ui/incidents").handler(ctx -> ui.incidents(ctx, "incidents"));
    router.get("/ui/incidents/table").handler(ctx -> ui.incidents(ctx, "incidents-table"));
    router.get("/ui/incidents/:id").handler(ctx -> ui.incident(ctx, "incident"));
    router.get("/ui/incidents/:id/live").handler(ctx -> ui.incident(ctx, "incident-live"));
    router.get("/ui/incidents/:id/decision").handler(ctx -> ui.incident(ctx, "decision"));
    router.post("/ui/incidents/:id/approve").handler(form())
        .handler(ctx -> ui.decide(ctx, Approval.Decision.APPROVED));
    router.post("/ui/incidents/:id/reject").handler(form())
        .handler(ctx -> ui.decide(ctx, Approval.Decision.REJECTED));
    router.post("/ui/incidents/:id/retry").handler(form()).handler(ui::retry);
    router.get("/ui/rules").handler(ui::rules);
    router.get("/ui/explain").handler(ctx -> ui.page(ctx, "explain", new LinkedHashMap<>()));
    router.post("/ui/explain").handler(form()).handler(ui::explain);
    router.get("/ui/guards").handler(ctx -> ui.guards(ctx, "guards"));
    router.get("/ui/guards/live").handler(ctx -> ui.guards(ctx, "guards-table"));
  }

  private static void refuseCrossSite(RoutingContext ctx) {
    io.vertx.core.http.HttpMethod m = ctx.request().method();
    if (m == io.vertx.core.http.HttpMethod.GET || m == io.vertx.core.http.HttpMethod.HEAD
        || m == io.vertx.core.http.HttpMethod.OPTIONS) {
      ctx.next();
      return;
    }
    String refusal = UiCsrf.crossSite(ctx);
    if (refusal == null) {
      ctx.next();
      return;
    }
    LOG.warn("method={} path={} msg=\"{}\"", m, ctx.normalizedPath(), refusal);
    if (!ctx.request().isEnded()) {
      ctx.response().putHeader("Connection", "close");
    }
    ErrorResponse.send(ctx, 403, refusal);
  }

  private static BodyHandler form() {
    return BodyHandler.create(false).setBodyLimit(MAX_FORM_BYTES);
  }

  private void htmx(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "text/javascript; charset=utf-8")
        .putHeader("Cache-Control", "public, max-age=86400").end(io.vertx.core.buffer.Buffer.buffer(htmx));
  }

  // ---------------------------------------------------------------- incidents

  private void incidents(RoutingContext ctx, String template) {
    MultiMap p = ctx.queryParams();
    Map<String, Object> model = new LinkedHashMap<>();
    Map<String, String> filters = new LinkedHashMap<>();
    for (String k : List.of("state", "cluster", "connector", "rule")) {
      String v = p.get(k);
      filters.put(k, v == null ? "" : v.strip());
    }
    model.put("filters", filters);
    MultiMap q = MultiMap.caseInsensitiveMultiMap();
    StringBuilder query = new StringBuilder();
    filters.forEach((k, v) -> {
      if (!v.isEmpty()) {
        q.add(k, v);
        query.append(query.length() == 0 ? "" : "&").append(k).append('=')
            .append(java.net.URLEncoder.encode(v, StandardCharsets.UTF_8));
      }
    });
    q.add("limit", "200");
    model.put("query", query.toString());
    IncidentQuery iq;
    try {
      iq = IncidentsJson.query(q);
    } catch (IllegalArgumentException e) {
      model.put("error", e.getMessage());
      model.put("incidents", List.of());
      page(ctx, template, model, 400);
      return;
    }
    operations.incidents(iq).onComplete(ar -> {
      if (failed(ctx, ar)) {
        return;
      }
      List<Object> items = new ArrayList<>();
      ar.result().forEach(i -> items.add(plain(Redacted.json(IncidentsJson.incident(i)))));
      model.put("incidents", items);
      page(ctx, template, model);
    });
  }

  private void incident(RoutingContext ctx, String template) {
    String id = ctx.pathParam("id");
    operations.incident(id).onComplete(ar -> {
      if (failed(ctx, ar)) {
        return;
      }
      if (ar.result().isEmpty()) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("error", "no incident " + id);
        page(ctx, "error", model, 404);
        return;
      }
      page(ctx, template, incidentModel(ar.result().get()));
    });
  }

  private Map<String, Object> incidentModel(IncidentDetail d) {
    Map<String, Object> model = new LinkedHashMap<>();
    JsonObject detail = Redacted.json(IncidentsJson.detail(d));
    model.put("incident", plain(detail));
    String cause = detail.getString("cause");
    String trace = detail.getString("trace");
    List<Map<String, Object>> lines = new ArrayList<>();
    if (trace != null) {
      boolean marked = false;
      String[] split = trace.split("\\R", -1);
      // The cause line is the last "Caused by:" line (or the first line): highlight the last line holding it.
      int causeAt = -1;
      if (cause != null && !cause.isBlank()) {
        for (int i = split.length - 1; i >= 0 && causeAt < 0; i--) {
          if (split[i].contains(cause.strip())) {
            causeAt = i;
          }
        }
      }
      for (int i = 0; i < split.length; i++) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("text", split[i]);
        line.put("cause", i == causeAt);
        marked |= i == causeAt;
        lines.add(line);
      }
      model.put("causeFound", marked);
    }
    model.put("trace", lines);
    List<Object> steps = new ArrayList<>();
    for (Object s : detail.getJsonArray("steps")) {
      Map<String, Object> step = plain((JsonObject) s);
      step.put("before", pretty(((JsonObject) s).getString("before")));
      step.put("after", pretty(((JsonObject) s).getString("after")));
      step.put("params", pretty(((JsonObject) s).getString("params")));
      steps.add(step);
    }
    model.put("steps", steps);
    List<Object> approvals = new ArrayList<>();
    Map<String, Object> pending = null;
    for (Object a : detail.getJsonArray("approvals")) {
      JsonObject ao = (JsonObject) a;
      Map<String, Object> approval = plain(ao);
      Object plan = ao.getValue("plan");
      List<Object> planSteps = new ArrayList<>();
      if (plan instanceof JsonObject po) {
        JsonArray ps = po.getJsonArray("steps");
        if (ps != null) {
          for (Object x : ps) {
            if (x instanceof JsonObject so) {
              Map<String, Object> st = new LinkedHashMap<>();
              st.put("index", so.getValue("index"));
              st.put("type", so.getString("type"));
              Object params = so.getValue("params");
              st.put("params", params == null ? "" : params instanceof JsonObject pj ? pj.encode() : params.toString());
              planSteps.add(st);
            }
          }
        }
        Object verify = po.getValue("verify");
        approval.put("verify", verify == null ? null : verify instanceof JsonObject vj ? vj.encode() : verify.toString());
      } else {
        approval.put("planText", plan == null ? null : plan.toString());
      }
      approval.put("planSteps", planSteps);
      approvals.add(approval);
      if ("pending".equals(ao.getString("state"))) {
        pending = approval;
      }
    }
    model.put("approvals", approvals);
    model.put("pending", pending);
    return model;
  }

  /**
   * The form's comment after the CSRF check, or null when the request was refused (and answered); an
   * empty comment is {@link Optional#empty()}.
   */
  private Optional<String> checkedComment(RoutingContext ctx, String what) {
    String refusal = csrf.refusal(ctx);
    if (refusal != null) {
      LOG.warn("incident={} principal={} msg=\"web page {} refused: {}\"", ctx.pathParam("id"), Auth.principal(ctx),
          what, refusal);
      ErrorResponse.send(ctx, 403, refusal);
      return null;
    }
    String comment = ctx.request().getFormAttribute("comment");
    comment = comment == null || comment.isBlank() ? null : comment.strip();
    if (comment != null && comment.length() > ApprovalHandler.MAX_COMMENT) {
      ErrorResponse.send(ctx, 400, "comment must be at most " + ApprovalHandler.MAX_COMMENT + " characters");
      return null;
    }
    return Optional.ofNullable(comment);
  }

  /** "Fixed — retry": the rule's recovery once now, outside the attempt budget (see Operations#retry). */
  private void retry(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    Optional<String> comment = checkedComment(ctx, "retry");
    if (comment == null) {
      return;
    }
    String by = Auth.principal(ctx);
    operations.retry(id, by, comment.orElse(null)).onComplete(ar -> {
      if (failed(ctx, ar)) {
        return;
      }
      RetryOutcome out = ar.result();
      boolean ok = out.status() == RetryOutcome.Status.ACCEPTED;
      if (ok) {
        LOG.info("incident={} by={} via=ui msg=\"retry requested\"", id, by);
      }
      String message = switch (out.status()) {
        case ACCEPTED -> "Retry requested by " + by + ": runbookd restarts the failed tasks once and verifies";
        case NO_INCIDENT -> "no incident " + id;
        case CLOSED -> "the incident is closed: there is nothing to retry";
        case BUSY -> "runbookd is acting on this incident right now; ask again in a moment";
      };
      answerDecision(ctx, id, message, ok);
    });
  }

  private void decide(RoutingContext ctx, Approval.Decision decision) {
    String id = ctx.pathParam("id");
    Optional<String> checked = checkedComment(ctx, "decision");
    if (checked == null) {
      return;
    }
    String comment = checked.orElse(null);
    String by = Auth.principal(ctx);
    operations.decideApproval(id, decision, by, comment).onComplete(ar -> {
      if (failed(ctx, ar)) {
        return;
      }
      Approval.Outcome out = ar.result();
      String message;
      boolean ok = out.status() == Approval.Outcome.Status.DECIDED;
      if (ok) {
        LOG.info("incident={} attempt={} gate={} decision={} by={} via=ui msg=\"approval decided\"", id,
            out.approval().attempt(), out.approval().gate(), decision.label(), by);
        message = (decision == Approval.Decision.APPROVED ? "Approved" : "Rejected") + " by " + by;
      } else {
        message = switch (out.status()) {
          case NO_INCIDENT -> "no incident " + id;
          case EXPIRED -> "the approval expired at " + out.approval().expiresAt() + "; the rule's default applied";
          default -> "nothing to decide: the incident has no pending approval";
        };
      }
      answerDecision(ctx, id, message, ok);
    });
  }

  /** Back to the incident's page, or (htmx) its decision fragment with {@code message} as a notice. */
  private void answerDecision(RoutingContext ctx, String id, String message, boolean ok) {
    if (ctx.request().getHeader("HX-Request") == null) {
      redirect(ctx, "/ui/incidents/" + java.net.URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20"));
      return;
    }
    operations.incident(id).onComplete(d -> {
      if (failed(ctx, d)) {
        return;
      }
      Map<String, Object> model = d.result().map(this::incidentModel).orElseGet(LinkedHashMap::new);
      model.put("notice", message);
      model.put("noticeOk", ok);
      page(ctx, "decision", model);
    });
  }

  // ---------------------------------------------------------------- rules, explain, guards

  private void rules(RoutingContext ctx) {
    operations.rules().onComplete(ar -> {
      if (failed(ctx, ar)) {
        return;
      }
      RuleSet set = ar.result();
      List<Object> rules = new ArrayList<>();
      for (Rule r : set.rules()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.name());
        m.put("description", r.description());
        m.put("file", r.source().file());
        m.put("line", r.source().line());
        m.put("alert", r.alertMatchers().stream().map(Object::toString).toList());
        m.put("trace", r.trace().map(p -> firstLine(p.pattern())).orElse(null));
        m.put("target", r.target().cluster().source() + " / " + r.target().connector().source());
        m.put("steps", r.steps().stream().map(Step::type).toList());
        m.put("retry", r.retry().maxAttempts() + " attempts, backoff "
            + String.join(", ", r.retry().backoff().stream().map(Durations::format).toList()));
        m.put("escalation", r.escalation().stream().map(l -> Durations.format(l.after()) + " → " + l.notifier()).toList());
        m.put("dryRun", r.dryRun());
        rules.add(m);
      }
      Map<String, Object> model = new LinkedHashMap<>();
      model.put("rules", rules);
      model.put("loadedAt", set.loadedAt().toString());
      model.put("files", set.files());
      page(ctx, "rules", model);
    });
  }

  /** The first line of a pattern; a free-spacing {@code (?x)} pattern continues with an ellipsis. */
  static String firstLine(String pattern) {
    String[] lines = pattern.strip().split("\\R", 2);
    return lines.length > 1 ? lines[0].stripTrailing() + " …" : lines[0];
  }

  private void explain(RoutingContext ctx) {
    Map<String, Object> model = new LinkedHashMap<>();
    String body = ctx.request().getFormAttribute("webhook");
    String status = ctx.request().getFormAttribute("status");
    model.put("webhook", body == null ? "" : body);
    model.put("status", status == null ? "" : status);
    String refusal = csrf.refusal(ctx);
    if (refusal != null) {
      ErrorResponse.send(ctx, 403, refusal);
      return;
    }
    WebhookMessage message;
    try {
      if (body == null || body.isBlank()) {
        throw new IllegalArgumentException("paste an Alertmanager webhook body");
      }
      message = WebhookParser.parse(body.getBytes(StandardCharsets.UTF_8));
    } catch (WebhookParser.InvalidWebhookException | IllegalArgumentException e) {
      model.put("error", "webhook body: " + e.getMessage());
      page(ctx, "explain", model, 400);
      return;
    }
    operations.explain(message, status == null || status.isBlank() ? null : status).onComplete(ar -> {
      if (ar.failed() && ar.cause() instanceof IllegalArgumentException e) {
        model.put("error", "connector status: " + e.getMessage());
        page(ctx, "explain", model, 400);
        return;
      }
      if (failed(ctx, ar)) {
        return;
      }
      List<Object> alerts = new ArrayList<>();
      for (AlertExplanation ex : ar.result()) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("alertname", ex.alert().labels().getOrDefault("alertname", "?"));
        a.put("labels", ex.alert().labels().toString());
        a.put("status", ex.alert().status());
        RuleEvaluator.Evaluation ev = ex.evaluation();
        List<Object> rules = new ArrayList<>();
        for (RuleEvaluator.RuleExplanation re : ev.explanation()) {
          Map<String, Object> r = new LinkedHashMap<>();
          r.put("name", re.rule().name());
          r.put("source", re.rule().source().toString());
          r.put("matched", re.matched());
          r.put("lines", re.lines().subList(1, re.lines().size()).stream().map(String::strip).toList());
          rules.add(r);
        }
        a.put("rules", rules);
        a.put("verdict", ev.match().map(m -> "rule \"" + m.rule().name() + "\" on " + m.target()
            + m.cause().map(c -> ": " + c).orElse("")).orElse("unmatched".equals(ev.decision()) ? null
            : ev.explain().strip().substring(ev.explain().strip().lastIndexOf('\n') + 1).replaceFirst("^=> ", "")));
        alerts.add(a);
      }
      model.put("alerts", alerts);
      page(ctx, "explain", model);
    });
  }

  private void guards(RoutingContext ctx, String template) {
    operations.guardState().onComplete(ar -> {
      if (failed(ctx, ar)) {
        return;
      }
      List<Object> clusters = new ArrayList<>();
      for (ClusterGuardState g : ar.result()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cluster", g.cluster());
        m.put("maxConcurrent", g.limits().maxConcurrentRemediations());
        m.put("maxActions", g.limits().maxActions());
        m.put("actionWindow", Durations.format(g.limits().actionWindow()));
        m.put("stormConnectors", g.limits().storm().connectors());
        m.put("stormWindow", Durations.format(g.limits().storm().window()));
        m.put("healthCheck", g.limits().healthCheck());
        m.put("stormActive", g.stormActive());
        g.storm().ifPresent(s -> {
          m.put("stormStarted", s.startedAt().toString());
          m.put("stormQuietUntil", s.quietUntil().toString());
          m.put("stormConnectorsFailed", s.connectors());
          m.put("stormSample", String.join(", ", s.sample()));
          m.put("stormSummarySent", s.summarySentAt() == null ? null : s.summarySentAt().toString());
        });
        m.put("open", g.openIncidents());
        m.put("remediating", g.remediating());
        m.put("awaitingApproval", g.awaitingApproval());
        clusters.add(m);
      }
      Map<String, Object> model = new LinkedHashMap<>();
      model.put("clusters", clusters);
      page(ctx, template, model);
    });
  }

  // ---------------------------------------------------------------- rendering

  private void page(RoutingContext ctx, String template, Map<String, Object> model) {
    page(ctx, template, model, 200);
  }

  private void page(RoutingContext ctx, String template, Map<String, Object> model, int status) {
    String principal = Auth.principal(ctx);
    model.put("principal", principal);
    model.put("canDecide", Auth.canDecide(ctx));
    model.put("csrf", csrf.token(principal));
    String path = ctx.request().path();
    model.put("section", path.length() > 4 ? path.substring(4).split("/", 2)[0] : "");
    try {
      PebbleTemplate t = pebble.getTemplate(template);
      StringWriter out = new StringWriter();
      t.evaluate(out, model);
      ctx.response().setStatusCode(status).putHeader("Content-Type", "text/html; charset=utf-8")
          .putHeader("Cache-Control", "no-store")
          .putHeader("X-Frame-Options", "DENY")
          .putHeader("Content-Security-Policy", "frame-ancestors 'none'")
          .end(out.toString());
    } catch (IOException | RuntimeException e) {
      ctx.fail(e);
    }
  }

  /** Answers 503 (store unavailable) or fails the request; false when {@code ar} succeeded. */
  private static boolean failed(RoutingContext ctx, AsyncResult<?> ar) {
    if (ErrorResponse.storeUnavailable(ctx, ar)) {
      return true;
    }
    if (ar.failed()) {
      ctx.fail(ar.cause());
      return true;
    }
    return false;
  }

  private static void redirect(RoutingContext ctx, String to) {
    ctx.response().setStatusCode(303).putHeader("Location", to).end();
  }

  private static String pretty(String json) {
    if (json == null || json.isBlank()) {
      return null;
    }
    try {
      return new JsonObject(json).encodePrettily();
    } catch (RuntimeException e) {
      return json;
    }
  }

  /** A JSON object as plain maps and lists, as Pebble reads them. */
  static Map<String, Object> plain(JsonObject o) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : o) {
      out.put(e.getKey(), plainValue(e.getValue()));
    }
    return out;
  }

  private static Object plainValue(Object v) {
    if (v instanceof JsonObject o) {
      return plain(o);
    }
    if (v instanceof JsonArray a) {
      List<Object> out = new ArrayList<>();
      a.forEach(x -> out.add(plainValue(x)));
      return out;
    }
    return v;
  }
}
