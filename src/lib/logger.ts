// A small levelled logger: one line per entry on stderr, so stdout stays free for the
// lines other programs read (e.g. the benchmark's READY line). Passed around as a dependency.
// An error field shows its whole cause chain with codes (the driver's CONNECT_TIMEOUT, 57P01, …).
import { describeError } from "./error-cause.ts";

export const LOG_LEVEL_ORDER = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevelName = keyof typeof LOG_LEVEL_ORDER;

export type Logger = {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
};

export function createLogger(level: LogLevelName, write: (line: string) => void = (line) => console.error(line)): Logger {
  const threshold = LOG_LEVEL_ORDER[level];
  const at =
    (name: Exclude<LogLevelName, "silent">) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (LOG_LEVEL_ORDER[name] < threshold) return;
      const extra = fields ? ` ${formatFields(fields)}` : "";
      write(`${new Date().toISOString()} ${name.toUpperCase()} ${message}${extra}`);
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function formatFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${JSON.stringify(value instanceof Error ? describeError(value) : value)}`)
    .join(" ");
}

export const silentLogger: Logger = createLogger("silent");
