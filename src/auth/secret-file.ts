// Development convenience: with no JWT_SECRET configured, generate a random one once and keep it
// in the data directory, so tokens survive restarts. Production refuses to start instead (config.ts).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../lib/logger.ts";

export const SECRET_FILE_NAME = "jwt-secret";

export function resolveJwtSecret(configured: string | undefined, dataDir: string, logger: Logger): string {
  if (configured !== undefined) return configured;
  const path = join(dataDir, SECRET_FILE_NAME);
  if (existsSync(path)) {
    const stored = readFileSync(path, "utf8").trim();
    if (stored.length >= 32) {
      logger.warn(`JWT_SECRET is not set: using the development secret kept in ${path}`);
      return stored;
    }
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url");
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  logger.warn(`JWT_SECRET is not set: generated a development secret and saved it in ${path}; set JWT_SECRET in production`);
  return secret;
}
