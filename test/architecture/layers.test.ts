// Keeps the layer rules of DESIGN.md true: reads every import under src/ and fails on an arrow
// that points the wrong way, on a library reaching for the app's stack, and on Bun.serve outside
// the binding and the entry point.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const SRC = join(import.meta.dir, "..", "..", "src");

/** Source text without comments, so documentation may name what code must not use. */
function codeOf(path: string): string {
  return readFileSync(path, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "");
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

type Import = { file: string; layer: string; target: string; targetLayer: string | undefined };

function layerOf(path: string): string {
  const rel = relative(SRC, path);
  const [first] = rel.split("/");
  return rel.includes("/") ? (first as string) : rel.replace(/\.ts$/, "");
}

// Static imports and re-exports, bare side-effect imports, and dynamic import() (drivers and the
// server are loaded on demand): an arrow the wrong way is one whichever form it takes.
const IMPORT_FORMS = [
  /(?:^|\n)\s*(?:import|export)[^"'`;]*?from\s+["']([^"']+)["']/g,
  /(?:^|\n)\s*import\s+["']([^"']+)["']/g,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
];

const imports: Import[] = sourceFiles(SRC).flatMap((file) => {
  const text = readFileSync(file, "utf8");
  return IMPORT_FORMS.flatMap((form) => [...text.matchAll(form)]).map((m) => {
    const target = m[1] as string;
    const resolved = target.startsWith(".") ? join(file, "..", target) : undefined;
    return {
      file: relative(SRC, file),
      layer: layerOf(file),
      target,
      targetLayer: resolved && resolved.startsWith(SRC) ? layerOf(resolved) : undefined,
    };
  });
});

/** Project layers each layer may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  lib: [],
  engine: [],
  adapter: [],
  socketio: ["engine", "adapter"],
  // Storage and auth implement the ports chat declares (DESIGN.md rule 3), with chat's own types.
  auth: ["lib", "chat"],
  chat: ["lib"],
  db: ["lib", "chat"],
  http: ["chat", "auth", "lib"],
  gateway: ["chat", "auth", "socketio", "lib"],
  // Cluster-wide application state kept beside the bus (presence counts in Redis), behind chat's ports.
  cluster: ["chat", "lib"],
  // The registry and the series: sources come in through structural types from app.ts.
  metrics: [],
  config: [],
  // The web app: server-side files that serve it, and browser code that talks to the public API only.
  web: [],
};

/** Packages that only the application edges and storage may use. */
const APP_PACKAGES = ["hono", "drizzle-orm", "postgres", "@electric-sql/pglite", "jose", "valibot"];
const LIBRARY_LAYERS = new Set(["engine", "adapter", "socketio", "metrics"]);

describe("layer rules (DESIGN.md)", () => {
  test("src has imports to check, dynamic ones included", () => {
    expect(imports.length).toBeGreaterThan(50);
    expect(imports.map((i) => `${i.file} → ${i.target}`)).toContain("db/database.ts → ./open-postgres.ts");
  });

  test("every project import points down an allowed arrow", () => {
    const wrong = imports.filter((i) => {
      if (i.targetLayer === undefined || i.targetLayer === i.layer) return false;
      const allowed = ALLOWED[i.layer];
      return allowed !== undefined && !allowed.includes(i.targetLayer);
    });
    expect(wrong.map((i) => `${i.file} → ${i.target}`)).toEqual([]);
  });

  test("engine, adapter, socketio and metrics use none of the application's packages", () => {
    const wrong = imports.filter(
      (i) => LIBRARY_LAYERS.has(i.layer) && APP_PACKAGES.some((p) => i.target === p || i.target.startsWith(`${p}/`)),
    );
    expect(wrong.map((i) => `${i.file} → ${i.target}`)).toEqual([]);
  });

  test("storage and auth take from chat only its ports, types and input rules, never a use case", () => {
    const contract = new Set(["chat/ports.ts", "chat/types.ts", "chat/rules.ts"]);
    const wrong = imports.filter((i) => {
      if ((i.layer !== "db" && i.layer !== "auth") || i.targetLayer !== "chat") return false;
      return !contract.has(relative(SRC, join(SRC, i.file, "..", i.target)));
    });
    expect(wrong.map((i) => `${i.file} → ${i.target}`)).toEqual([]);
    expect(imports.some((i) => i.layer === "db" && i.targetLayer === "chat")).toBe(true);
  });

  test("chat and auth know no transport, no HTTP framework and no SQL", () => {
    const banned = ["hono", "drizzle-orm", "postgres", "@electric-sql/pglite"];
    const wrong = imports.filter(
      (i) => (i.layer === "chat" || i.layer === "auth") && banned.some((p) => i.target === p || i.target.startsWith(`${p}/`)),
    );
    expect(wrong.map((i) => `${i.file} → ${i.target}`)).toEqual([]);
  });

  test("only the Bun binding and the entry point call Bun.serve or name ServerWebSocket", () => {
    const allowed = new Set(["engine/bun-binding.ts", "main.ts"]);
    const offenders = sourceFiles(SRC)
      .map((file) => ({ file: relative(SRC, file), text: codeOf(file) }))
      .filter(({ file, text }) => !allowed.has(file) && /Bun\.serve\(|ServerWebSocket</.test(text))
      .map(({ file }) => file);
    expect(offenders).toEqual([]);
  });

  test("only config.ts reads the environment", () => {
    const offenders = sourceFiles(SRC)
      .map((file) => ({ file: relative(SRC, file), text: codeOf(file) }))
      .filter(({ file, text }) => file !== "config.ts" && /process\.env|Bun\.env/.test(text))
      .map(({ file }) => file);
    expect(offenders).toEqual([]);
  });
});
