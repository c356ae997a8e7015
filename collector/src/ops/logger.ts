/** Log levels, least severe first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured fields of a log line. Never put write keys, IPs or event payloads here. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** One JSON object per line, so log shippers need no parsing rules. */
export interface Logger {
  log(level: LogLevel, msg: string, fields?: LogFields): void;
}

/** A JSON-lines logger writing to `write` (stdout by default), dropping lines below `level`. */
export function jsonLogger(level: LogLevel, write: (line: string) => void = console.log): Logger {
  const floor = RANK[level];
  return {
    log(lineLevel, msg, fields) {
      if (RANK[lineLevel] < floor) return;
      write(JSON.stringify({ time: new Date().toISOString(), level: lineLevel, msg, ...fields }));
    },
  };
}
