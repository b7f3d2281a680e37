package io.runbookd.connect;

import io.runbookd.model.ConnectorStatus;

import java.util.Optional;

/**
 * The answer to {@code POST /connectors/{name}/restart}.
 *
 * <p>KIP-745: with {@code includeTasks} or {@code onlyFailed} set, Connect answers 202 with a status
 * body in which the instances chosen for restart read RESTARTING; the restart is carried out
 * asynchronously. A plain connector restart answers 204 with no body and is synchronous.
 *
 * @param httpStatus 202 or 204
 * @param status the status body of a 202, empty for a 204
 */
public record RestartOutcome(int httpStatus, Optional<ConnectorStatus> status) {}
