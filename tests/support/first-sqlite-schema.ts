/**
 * The embedded store's tables as the first versions created them, before events and identity links
 * were keyed by source: what the upgrade on open must carry over without losing a row.
 */
export const FIRST_EVENTS_TABLE = `CREATE TABLE events (
  message_id   TEXT NOT NULL UNIQUE,
  type         TEXT NOT NULL,
  event        TEXT,
  anonymous_id TEXT,
  user_id      TEXT,
  source       TEXT NOT NULL,
  timestamp    TEXT NOT NULL,
  received_at  TEXT NOT NULL,
  payload      TEXT NOT NULL
)`;

export const FIRST_IDENTITIES_TABLE = `CREATE TABLE identities (
  anonymous_id TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  first_seen   TEXT NOT NULL,
  last_seen    TEXT NOT NULL,
  PRIMARY KEY (anonymous_id, user_id)
)`;
