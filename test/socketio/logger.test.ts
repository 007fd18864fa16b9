// Where the library reports the errors it catches: the `logger` option (console.error unless
// given). Application code that throws must reach the configured logger, never the console.
import { afterEach, beforeEach, describe, expect, spyOn, test } from "bun:test";
import { EngineServer } from "../../src/engine/index.ts";
import { startEngineServer, QUIET_OPTIONS } from "../support/engine-server.ts";
import { startSio, waitFor } from "../support/sio-client.ts";

type Entry = { message: string; fields: Record<string, unknown> | undefined };

function capture(): { entries: Entry[]; logger: { error(message: string, fields?: Record<string, unknown>): void } } {
  const entries: Entry[] = [];
  return { entries, logger: { error: (message, fields) => void entries.push({ message, fields }) } };
}

function errorMessageIn(entry: Entry | undefined): string | undefined {
  const error = entry?.fields?.["error"];
  return error instanceof Error ? error.message : undefined;
}

let consoleError: ReturnType<typeof spyOn>;

beforeEach(() => {
  consoleError = spyOn(console, "error").mockImplementation(() => {});
});

afterEach(() => {
  consoleError.mockRestore();
});

describe("the logger option", () => {
  test("a throwing event handler, middleware and ack callback reach the configured logger, not console.error", async () => {
    const { entries, logger } = capture();
    await using h = startSio({ logger });
    h.io.on("connection", (socket) => {
      socket.on("boom", () => {
        throw new Error("handler failure");
      });
      socket.on("ask-back", () => {
        socket.timeout(1000).emit("question", () => {
          throw new Error("ack callback failure");
        });
      });
      socket.on("after", (ack: () => void) => ack());
    });
    h.io.of("/guarded").use(() => {
      throw new Error("middleware failure");
    });
    const client = await h.connect("/");
    const asked = new Promise<void>((resolve) =>
      client.on("question", (ack: () => void) => {
        ack();
        resolve();
      }),
    );
    client.emit("boom");
    client.emit("ask-back");
    await asked;
    // Packets are handled in order: once "after" is answered, "boom" and the client's ack were handled.
    await client.timeout(2000).emitWithAck("after");
    await waitFor(h.client("/guarded"), "connect_error");

    const messages = entries.map(errorMessageIn);
    expect(messages).toContain("handler failure");
    expect(messages).toContain("middleware failure");
    expect(messages).toContain("ack callback failure");
    for (const entry of entries) expect(entry.message).toStartWith("socket.io:");
    expect(consoleError).not.toHaveBeenCalled();
  });

  test("a broadcast ack callback that throws when its timeout passes is reported, not raised from the timer", async () => {
    const { entries, logger } = capture();
    await using h = startSio({ logger });
    const client = await h.connect("/");
    const asked = waitFor(client, "silent");
    const called = new Promise<void>((resolve) =>
      h.io.timeout(50).emit("silent", () => {
        resolve();
        throw new Error("broadcast callback failure");
      }),
    );
    await asked;
    await called;
    expect(entries.map(errorMessageIn)).toEqual(["broadcast callback failure"]);
    expect(consoleError).not.toHaveBeenCalled();
  });

  test("the engine reports a throwing session handler to its logger", async () => {
    const { entries, logger } = capture();
    await using s = await startEngineServer({ ...QUIET_OPTIONS, logger }, (session) => {
      session.onmessage = (data) => {
        if (data === "throw") throw new Error("session handler failure");
        session.send(data);
      };
    });
    const { sid } = await s.handshake();
    expect((await s.post(sid, "4throw\x1e4after")).body).toBe("ok");
    expect((await s.get(sid)).body).toBe("4after");
    expect(entries.map(errorMessageIn)).toEqual(["session handler failure"]);
    expect(entries[0]?.message).toStartWith("engine:");
    expect(consoleError).not.toHaveBeenCalled();
  });

  test("without the option, errors still go to console.error", async () => {
    const engine = new EngineServer({}, { connection: () => {} });
    engine.reportError(new Error("default destination"), "test");
    expect(consoleError).toHaveBeenCalledTimes(1);
  });
});
