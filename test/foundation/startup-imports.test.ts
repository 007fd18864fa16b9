// What a single node loads before it serves: the cluster buses' clients (ioredis, postgres.js) are
// imported only under ADAPTER=redis / postgres (src/cluster-bus.ts), since loading them is start-up time.
import { expect, test } from "bun:test";
import { join } from "node:path";

const APP = join(import.meta.dir, "..", "..", "src", "app.ts");

test("loading the app for a single node imports neither ioredis nor postgres.js", () => {
  // A process of its own: this test process may have loaded either already.
  const script = `await import(${JSON.stringify(APP)}); console.log(JSON.stringify(Object.keys(require.cache)));`;
  const result = Bun.spawnSync(["bun", "-e", script], { stdout: "pipe", stderr: "pipe" });
  expect(result.stderr.toString()).toBe("");
  const loaded: string[] = JSON.parse(result.stdout.toString());
  expect(loaded.some((path) => path.endsWith(join("src", "app.ts")))).toBe(true);
  expect(loaded.filter((path) => /node_modules\/(ioredis|postgres)\//.test(path))).toEqual([]);
});
