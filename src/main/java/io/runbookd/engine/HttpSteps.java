package io.runbookd.engine;

import io.runbookd.callout.HttpCall;
import io.runbookd.config.Secrets;
import io.runbookd.model.Incident;
import io.runbookd.policy.Endpoints;
import io.runbookd.rules.ConnectorTarget;
import io.runbookd.rules.Step;
import io.runbookd.rules.Template;
import io.runbookd.rules.TemplateContext;
import io.vertx.core.Future;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code http} step: renders the request, reads its secret files, sends it (each request bounded by
 * the step's {@code timeout}, at most {@link #MAX_BODY} bytes of the answer read) and checks the answer
 * against {@code expect}. With {@code until} the request is sent again every {@code every} until the
 * answer meets the expectation, and the step fails at {@code within}.
 *
 * <p>The poll is a bounded loop of Vert.x timers inside the step, not a stored wait: no thread sleeps,
 * and the incident's lease is renewed meanwhile, but a daemon that stops mid-poll does not resume it (the
 * attempt is verified at the next start, as for any step cut short). {@code within} is bounded by the
 * rule loader.
 *
 * <p>The answer (status, a few headers, the first {@value #EXCERPT} characters of the body) is the step's
 * {@code after}, with every configured secret and every value read from a secret file masked.
 */
final class HttpSteps {
  /** Bytes of an answer read at most. */
  static final int MAX_BODY = 64 * 1024;
  /** Characters of the body kept in the step record. */
  static final int EXCERPT = 2048;
  /** Answer headers kept in the step record (lower case). */
  private static final List<String> KEPT_HEADERS = List.of("content-type", "content-length", "location", "retry-after",
      "date");

  private final EngineDeps deps;

  HttpSteps(EngineDeps deps) {
    this.deps = deps;
  }

  Future<StepExecutor.Result> run(Step.Http h, StepExecutor.Target t) {
    return schemaRegistry(h, t).compose(sr -> {
      if (sr.isEmpty() && uses(h, "schema_registry")) {
        // The converter may be set in the worker config, which Connect's REST API does not show: nothing to
        // call, and nothing that should stop the steps after this one.
        return Future.succeededFuture(new StepExecutor.Result("skipped", "the connector config names no Schema"
            + " Registry (value.converter.schema.registry.url, key.converter.schema.registry.url) for"
            + " schema_registry.url; the request was not sent", null, null, false));
      }
      return deps.blocking(() -> readSecrets(h)).compose(files -> {
        List<String> secretValues = new ArrayList<>(files.values());
        Map<String, Object> ctx = TemplateContext.http(message(t), sr.orElse(null));
        HttpCall.Request req;
        try {
          Map<String, String> headers = new LinkedHashMap<>();
          h.headers().forEach((name, v) -> headers.put(name, v.secret() ? v.prefix() + files.get(name)
              : v.template().render(ctx)));
          headers.values().forEach(v -> {
            if (v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0) {
              throw new Template.TemplateException("a header value contains CR or LF", null);
            }
          });
          String url = h.url().render(ctx);
          userInfo(url).ifPresent(secretValues::add);
          req = new HttpCall.Request(h.method(), url, headers, h.body() == null ? null : h.body().render(ctx),
              h.timeout(), MAX_BODY);
        } catch (Template.TemplateException e) {
          return Future.succeededFuture(StepExecutor.Result.failed("http request template failed: " + e.getMessage()));
        }
        Secrets mask = new Secrets(secretValues);
        Instant deadline = h.within() == null ? null : deps.now().plus(h.within());
        return attempt(h, req, mask, deadline, 1);
      }, err -> Future.succeededFuture(StepExecutor.Result.failed(err.getMessage())));
    });
  }

  /** One request; again after {@code every} while the answer misses and the deadline allows. */
  private Future<StepExecutor.Result> attempt(Step.Http h, HttpCall.Request req, Secrets mask, Instant deadline, int n) {
    Instant start = deps.now();
    return deps.alertmanagers().http().send(req)
        .map(resp -> check(h, req, resp, n, start, mask))
        .recover(err -> Future.succeededFuture(new Check(false, req.method() + " " + req.url() + " failed: "
            + (err.getMessage() == null ? err.toString() : err.getMessage()), json(req, null, n, start, mask))))
        .compose(c -> {
          if (c.met()) {
            return Future.succeededFuture(StepExecutor.Result.ok(c.after()));
          }
          boolean again = deadline != null && deps.now().plus(h.every()).isBefore(deadline);
          if (again) {
            return deps.delay(h.every().toMillis()).compose(v -> attempt(h, req, mask, deadline, n + 1));
          }
          String why = Secrets.known().and(mask).redact(c.why());
          String error = deadline == null ? why : "no answer met the expectation within "
              + io.runbookd.rules.Durations.format(h.within()) + " (" + n + " requests); the last: " + why;
          return Future.succeededFuture(new StepExecutor.Result("failed", error, null, c.after(), false));
        });
  }

  private record Check(boolean met, String why, String after) {}

  private Check check(Step.Http h, HttpCall.Request req, HttpCall.Response resp, int n, Instant start, Secrets mask) {
    String after = json(req, resp, n, start, mask);
    String what = req.method() + " " + req.url() + " answered " + resp.status();
    if (!h.accepts(resp.status())) {
      return new Check(false, what + ", expected " + String.join(", ", h.status()), after);
    }
    if (h.bodyPattern() != null && h.bodyPattern().find(resp.body()) < 0) {
      return new Check(false, what + " without a body matching " + h.bodyPattern().firstLine(), after);
    }
    return new Check(true, what, after);
  }

  /** The step's {@code after}: the request line and the answer, secrets masked. */
  private String json(HttpCall.Request req, HttpCall.Response resp, int n, Instant start, Secrets mask) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("method", req.method());
    out.put("url", req.url());
    out.put("requests", n);
    out.put("took_ms", Duration.between(start, deps.now()).toMillis());
    if (resp != null) {
      out.put("status", resp.status());
      Map<String, String> headers = new LinkedHashMap<>();
      KEPT_HEADERS.forEach(k -> {
        if (resp.headers().containsKey(k)) {
          headers.put(k, resp.headers().get(k));
        }
      });
      out.put("headers", headers);
      String body = resp.body();
      out.put("body", body.length() > EXCERPT ? body.substring(0, EXCERPT) : body);
      out.put("body_truncated", resp.truncated() || body.length() > EXCERPT);
    }
    return Secrets.known().and(mask).redact(StepExecutor.json(out));
  }

  /** The connector's Schema Registry URL, read from its config when a template uses it. */
  private Future<Optional<String>> schemaRegistry(Step.Http h, StepExecutor.Target t) {
    if (!uses(h, "schema_registry")) {
      return Future.succeededFuture(Optional.empty());
    }
    return t.api().config(t.incident().connector()).map(Endpoints::schemaRegistryUrl);
  }

  private static boolean uses(Step.Http h, String variable) {
    if (h.url().source().contains(variable) || h.body() != null && h.body().source().contains(variable)) {
      return true;
    }
    return h.headers().values().stream().anyMatch(v -> v.template() != null && v.template().source().contains(variable));
  }

  /** The values of the step's secret-file headers, by header name (blocking: files). */
  private static Map<String, String> readSecrets(Step.Http h) {
    Map<String, String> out = new LinkedHashMap<>();
    h.headers().forEach((name, v) -> {
      if (v.secret()) {
        try {
          out.put(name, Files.readString(Path.of(v.file()), StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
          throw new IllegalStateException("cannot read the secret file of header " + name + " (" + v.file() + "): "
              + e.getClass().getSimpleName());
        }
      }
    });
    return out;
  }

  private static Optional<String> userInfo(String url) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*://([^/?#@]+)@").matcher(url);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  private TemplateContext.Message message(StepExecutor.Target t) {
    Incident inc = t.incident();
    return new TemplateContext.Message(inc.rule(), t.labels() == null ? Map.of() : t.labels(),
        t.annotations() == null ? Map.of() : t.annotations(), new ConnectorTarget(inc.cluster(), inc.connector()),
        inc.id(), inc.attempts(), inc.state().name(), inc.cause() == null ? "" : inc.cause(),
        inc.trace() == null ? "" : inc.trace(), "UNKNOWN",
        TemplateContext.url(deps.notifiers().externalUrl(), inc.id()));
  }
}
