// The app hands its logger to the Socket.IO library: errors the library catches in application
// code are written by the app's logger (so LOG_LEVEL applies), not printed with console.error.
import { afterEach, beforeEach, describe, expect, spyOn, test } from "bun:test";
import { io as ioc } from "socket.io-client";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { testDatabase } from "../support/database.ts";
import { TEST_JWT_SECRET, TEST_PASSWORD_COST } from "../support/server.ts";
import { CLIENT_DEFAULTS, waitFor } from "../support/sio-client.ts";

let consoleError: ReturnType<typeof spyOn>;

beforeEach(() => {
  consoleError = spyOn(console, "error").mockImplementation(() => {});
});

afterEach(() => {
  consoleError.mockRestore();
});

describe("the app's logger reaches the realtime library", () => {
  test("a middleware that throws is logged by the app's logger at error level; console.error stays silent", async () => {
    const lines: string[] = [];
    const config = loadConfig({ NODE_ENV: "test", JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: "error" });
    const app = await createApp(config, createLogger("error", (line) => void lines.push(line)), {
      database: await testDatabase(),
      passwordCost: TEST_PASSWORD_COST,
    });
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", ...app.serve });
    const client = ioc(`http://127.0.0.1:${server.port}/probe`, { ...CLIENT_DEFAULTS, reconnection: false });
    try {
      app.io.of("/probe").use(() => {
        throw new Error("probe middleware failure");
      });
      const [error] = await waitFor<[Error]>(client, "connect_error");
      expect(error.message).toBe("probe middleware failure");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("ERROR socket.io: error in handler for \"namespace middleware\"");
      expect(lines[0]).toContain('error="probe middleware failure"');
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      client.disconnect();
      await app.close();
      await server.stop(true);
    }
  });
});
