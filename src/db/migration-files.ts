// Bun macro (runs at bundle/transpile time): reads drizzle/ so the migrations are inlined into
// the code, and the compiled binary carries them without any file beside it.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export type Migration = { tag: string; hash: string; createdAt: number; statements: string[] };

type Journal = { entries: { idx: number; when: number; tag: string }[] };

export function readMigrationFiles(): Migration[] {
  const dir = join(import.meta.dir, "..", "..", "drizzle");
  const journal = JSON.parse(readFileSync(join(dir, "meta", "_journal.json"), "utf8")) as Journal;
  return journal.entries
    .sort((a, b) => a.idx - b.idx)
    .map((entry) => {
      const sqlText = readFileSync(join(dir, `${entry.tag}.sql`), "utf8");
      return {
        tag: entry.tag,
        hash: new Bun.CryptoHasher("sha256").update(sqlText).digest("hex"),
        createdAt: entry.when,
        statements: sqlText
          .split("--> statement-breakpoint")
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
      };
    });
}
