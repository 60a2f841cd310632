/**
 * The relay's structured log records, shared by the Node and the Worker relay: one JSON object
 * per event, written as one line. Records carry addresses, counts and reasons, never the bytes
 * relayed (those are TLS records, and a relay has no business keeping them).
 */

/** What happened. */
export type RelayEvent = 'listening' | 'open' | 'refused' | 'connected' | 'closed' | 'error';

/** One log record. Fields beyond `time` and `event` are present when they apply. */
export interface RelayLogRecord {
  /** ISO 8601 time of the event. */
  time: string;
  event: RelayEvent;
  /** A number for each WebSocket the relay accepted, to tie its records together. */
  id?: number;
  /** The client's address as the relay sees it. */
  client?: string;
  /** The destination asked for (as parsed, or as sent when it did not parse). */
  host?: string;
  port?: number;
  /** Why a connection was refused, closed or failed. */
  reason?: string;
  /** The WebSocket close code sent or received. */
  code?: number;
  /** Bytes relayed from the client to the destination. */
  bytesIn?: number;
  /** Bytes relayed from the destination to the client. */
  bytesOut?: number;
  /** Milliseconds from the WebSocket opening to the connection closing. */
  durationMs?: number;
  /** Where the relay listens (`listening`). */
  url?: string;
}

/** Receives each record. */
export type RelayLogger = (record: RelayLogRecord) => void;

/** Builds a record stamped with the current time. */
export function logRecord(
  event: RelayEvent,
  fields: Omit<RelayLogRecord, 'time' | 'event'> = {},
): RelayLogRecord {
  return { time: new Date().toISOString(), event, ...fields };
}

/**
 * A host value from an untrusted query, cut short for a log line (the policy refuses anything
 * longer than a DNS name anyway).
 */
export function loggableHost(host: string | null): string | undefined {
  return host === null ? undefined : host.slice(0, 260);
}
