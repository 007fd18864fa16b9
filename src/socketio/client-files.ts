// Bun macro (runs at bundle/transpile time): reads the official browser client's dist files so
// they are inlined into the code, and the compiled binary can serve them with nothing beside it.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const CLIENT_FILE_NAMES = [
  "socket.io.js",
  "socket.io.js.map",
  "socket.io.min.js",
  "socket.io.min.js.map",
  "socket.io.esm.min.js",
  "socket.io.esm.min.js.map",
  // The build with socket.io-msgpack-parser inside, for browsers speaking msgpack (the server takes both).
  "socket.io.msgpack.min.js",
  "socket.io.msgpack.min.js.map",
] as const;

export function readClientFiles(): { version: string; files: Record<string, string> } {
  const root = join(import.meta.dir, "..", "..", "node_modules", "socket.io-client");
  const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  const files: Record<string, string> = {};
  for (const name of CLIENT_FILE_NAMES) files[name] = readFileSync(join(root, "dist", name), "utf8");
  return { version, files };
}
