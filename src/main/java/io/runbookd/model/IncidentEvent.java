package io.runbookd.model;

import java.time.Instant;

/**
 * One line of an incident's timeline, for humans (API and logs).
 *
 * @param at when
 * @param kind short machine word: opened, alert_joined, alert_resolved, attempt, step, verified,
 *     verify_failed, escalated, gave_up, closed, ...
 * @param message human-readable text
 */
public record IncidentEvent(Instant at, String kind, String message) {}
