// A small levelled logger: one line per entry on stderr, so stdout stays free for the lines other
// programs read (e.g. the benchmark's READY line). Passed around as a dependency. Text lines for
// people, or one JSON object per line for log collectors (LOG_FORMAT=json). An error field shows its
// whole cause chain with codes; secrets are redacted in either format (redact.ts).
import { maskSecrets, redactFields } from "./redact.ts";

export const LOG_LEVEL_ORDER = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevelName = keyof typeof LOG_LEVEL_ORDER;
export type LogFormatName = "text" | "json";

export type Logger = {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
};

type Level = Exclude<LogLevelName, "silent">;

export function createLogger(
  level: LogLevelName,
  write: (line: string) => void = (line) => console.error(line),
  format: LogFormatName = "text",
): Logger {
  const threshold = LOG_LEVEL_ORDER[level];
  const render = format === "json" ? jsonLine : textLine;
  const at =
    (name: Level) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (LOG_LEVEL_ORDER[name] < threshold) return;
      write(render(name, new Date().toISOString(), maskSecrets(message), fields ? redactFields(fields) : undefined));
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function textLine(level: Level, time: string, message: string, fields: Record<string, unknown> | undefined): string {
  const extra = fields ? ` ${Object.entries(fields).map(([key, value]) => `${key}=${stringify(value)}`).join(" ")}` : "";
  return `${time} ${level.toUpperCase()} ${message}${extra}`;
}

// The entry's own keys come first and win: a field of the same name is kept under "field_<name>".
const RESERVED = new Set(["level", "time", "msg"]);

function jsonLine(level: Level, time: string, message: string, fields: Record<string, unknown> | undefined): string {
  const entry: Record<string, unknown> = { level, time, msg: message };
  if (fields) for (const [key, value] of Object.entries(fields)) entry[RESERVED.has(key) ? `field_${key}` : key] = value;
  return stringify(entry);
}

/** JSON.stringify that never throws (a BigInt or a cycle in a field must not lose the entry). */
function stringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ?? "undefined";
  } catch {
    return '"[unserializable]"';
  }
}

export const silentLogger: Logger = createLogger("silent");
