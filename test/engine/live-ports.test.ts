// The servers a broadcast goes through: one entry per Bun server with open WebSockets, dropped
// when its last WebSocket closes (what stop() does), so a stopped server is not published to.
import { describe, expect, test } from "bun:test";
import { LivePorts } from "../../src/engine/live-ports.ts";
import type { HttpPort } from "../../src/engine/server.ts";

function port(): HttpPort {
  return { upgrade: () => false, requestIP: () => undefined, disableTimeout: () => {}, publish: () => {} };
}

describe("LivePorts", () => {
  test("a server is listed while it has WebSockets, once, and leaves with its last one", () => {
    const ports = new LivePorts();
    const first = port();
    const second = port();
    ports.websocketOpened(first);
    ports.websocketOpened(first);
    ports.websocketOpened(second);
    expect(ports.list).toEqual([first, second]);
    ports.websocketClosed(first);
    expect(ports.list).toEqual([first, second]);
    ports.websocketClosed(first);
    expect(ports.list).toEqual([second]);
    ports.websocketClosed(second);
    ports.websocketClosed(second); // a stray close changes nothing
    expect(ports.list).toEqual([]);
  });
});
