package io.runbookd.it;

import io.runbookd.testkit.ConnectWorker;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.PathSegment;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.connect.rest.ConnectRestExtension;
import org.apache.kafka.connect.rest.ConnectRestExtensionContext;

/**
 * A Connect REST extension (installed by {@link ConnectWorker} through {@code rest.extension.classes})
 * that records every restart request the worker receives, so a test can assert how often runbookd
 * restarted a connector and with which parameters.
 *
 * <p>Recorded: {@code POST /connectors/{name}/restart[?includeTasks=&onlyFailed=]} and {@code POST
 * /connectors/{name}/tasks/{id}/restart}; requests forwarded between workers ({@code forward=}) are
 * skipped so one client call counts once. Registered for {@code plugin.discovery} in {@code
 * META-INF/services/org.apache.kafka.connect.rest.ConnectRestExtension}.
 */
public class RestartRequestRecorder implements ConnectRestExtension {

  /**
   * One restart request as the worker received it.
   *
   * @param connector the connector name (percent-decoded)
   * @param task the task id for a task restart; empty for a connector restart
   * @param includeTasks the {@code includeTasks} query parameter (false when absent)
   * @param onlyFailed the {@code onlyFailed} query parameter (false when absent)
   */
  public record RestartRequest(String connector, OptionalInt task, boolean includeTasks, boolean onlyFailed) {
    public RestartRequest {
      Objects.requireNonNull(connector, "connector");
      Objects.requireNonNull(task, "task");
    }
  }

  private static final List<RestartRequest> REQUESTS = new CopyOnWriteArrayList<>();

  /** The restart requests received for {@code connector}, oldest first. */
  public static List<RestartRequest> requests(String connector) {
    return REQUESTS.stream().filter(r -> r.connector().equals(connector)).toList();
  }

  @Override
  public void register(ConnectRestExtensionContext context) {
    context.configurable().register(new Filter());
  }

  /** Records restart requests; never rejects a request. */
  public static final class Filter implements ContainerRequestFilter {
    @Override
    public void filter(ContainerRequestContext request) {
      record(request);
    }
  }

  private static void record(ContainerRequestContext request) {
    if (!"POST".equals(request.getMethod())) {
      return;
    }
    MultivaluedMap<String, String> query = request.getUriInfo().getQueryParameters();
    if (query.containsKey("forward")) {
      return;
    }
    List<String> path = request.getUriInfo().getPathSegments(true).stream()
        .map(PathSegment::getPath).filter(s -> !s.isEmpty()).toList();
    boolean includeTasks = Boolean.parseBoolean(query.getFirst("includeTasks"));
    boolean onlyFailed = Boolean.parseBoolean(query.getFirst("onlyFailed"));
    if (path.size() == 3 && path.get(0).equals("connectors") && path.get(2).equals("restart")) {
      REQUESTS.add(new RestartRequest(path.get(1), OptionalInt.empty(), includeTasks, onlyFailed));
    } else if (path.size() == 5 && path.get(0).equals("connectors") && path.get(2).equals("tasks")
        && path.get(4).equals("restart") && path.get(3).matches("\\d{1,9}")) {
      REQUESTS.add(new RestartRequest(path.get(1), OptionalInt.of(Integer.parseInt(path.get(3))), false, false));
    }
  }

  @Override
  public void configure(Map<String, ?> configs) {}

  @Override
  public void close() {}

  @Override
  public String version() {
    return FlakyConnector.VERSION;
  }
}
