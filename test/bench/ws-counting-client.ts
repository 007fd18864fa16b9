// A minimal WebSocket + Engine.IO client for load generation: raw TCP through Bun.connect, frames
// counted from their headers (a few bytes of JS per frame), so one load-generator core can keep up
// with a server fanning out millions of frames. Speaks just enough: upgrade, "40" CONNECT with
// auth, pong to pings, and a count of EVENT frames.
import type { Socket } from "bun";

export type CountingClientOptions = {
  host: string;
  port: number;
  /** CONNECT payload (handshake auth), e.g. { token }. */
  auth: Record<string, unknown>;
  /** Called once the Socket.IO CONNECT reply ("40{...}") arrived. */
  onConnected: () => void;
  onFailed: (reason: string) => void;
  /** Called for each EVENT frame ("42[..."): counted, not decoded. */
  onEvent: () => void;
};

const enum Stage {
  Upgrading,
  WaitOpen,
  WaitConnect,
  Connected,
}

/** A client-to-server text frame: masked (required), with a zero key so the payload stays as is. */
function maskedTextFrame(text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = new Uint8Array(header + 4 + length);
  frame[0] = 0x81;
  if (header === 2) frame[1] = 0x80 | length;
  else if (header === 4) {
    frame[1] = 0x80 | 126;
    frame[2] = length >> 8;
    frame[3] = length & 0xff;
  } else {
    frame[1] = 0x80 | 127;
    new DataView(frame.buffer).setBigUint64(2, BigInt(length));
  }
  frame.set(payload, header + 4);
  return frame;
}

const PONG = maskedTextFrame("3");
const decoder = new TextDecoder();

export type CountingClient = { close(): void };

export function openCountingClient(options: CountingClientOptions): Promise<CountingClient> {
  let stage = Stage.Upgrading;
  let pending: Uint8Array = new Uint8Array(0);
  let socket: Socket<undefined> | undefined;
  let failed = false;
  let closing = false;

  const fail = (reason: string) => {
    if (failed || closing) return;
    failed = true;
    options.onFailed(reason);
    socket?.end();
  };

  // Text payload starts decide everything; a frame split across reads keeps its head for later.
  const onFrame = (payload: Uint8Array) => {
    if (payload.length === 0) return;
    const first = payload[0];
    if (stage === Stage.Connected) {
      if (first === 0x34 && payload[1] === 0x32) options.onEvent();
      else if (first === 0x32 && payload.length === 1) socket?.write(PONG);
      return;
    }
    const text = decoder.decode(payload);
    if (stage === Stage.WaitOpen && text.startsWith("0{")) {
      stage = Stage.WaitConnect;
      socket?.write(maskedTextFrame(`40${JSON.stringify(options.auth)}`));
    } else if (stage === Stage.WaitConnect && text.startsWith("40")) {
      stage = Stage.Connected;
      options.onConnected();
    } else if (stage === Stage.WaitConnect && text.startsWith("44")) {
      fail(`connect_error ${text.slice(2, 200)}`);
    }
  };

  const onData = (chunk: Uint8Array) => {
    let data = chunk;
    if (pending.length > 0) {
      const joined = new Uint8Array(pending.length + chunk.length);
      joined.set(pending);
      joined.set(chunk, pending.length);
      data = joined;
    }
    let at = 0;
    if (stage === Stage.Upgrading) {
      const text = decoder.decode(data);
      const end = text.indexOf("\r\n\r\n");
      if (end === -1) {
        pending = data;
        return;
      }
      if (!text.startsWith("HTTP/1.1 101")) return fail(`upgrade refused: ${text.split("\r\n")[0]}`);
      stage = Stage.WaitOpen;
      at = new TextEncoder().encode(text.slice(0, end + 4)).length;
    }
    while (at < data.length) {
      if (data.length - at < 2) break;
      const second = data[at + 1] as number;
      let length = second & 0x7f;
      let header = 2;
      if (length === 126) {
        if (data.length - at < 4) break;
        length = ((data[at + 2] as number) << 8) | (data[at + 3] as number);
        header = 4;
      } else if (length === 127) {
        if (data.length - at < 10) break;
        length = Number(new DataView(data.buffer, data.byteOffset + at + 2, 8).getBigUint64(0));
        header = 10;
      }
      if (data.length - at < header + length) break;
      const opcode = (data[at] as number) & 0x0f;
      if (opcode === 0x1) onFrame(data.subarray(at + header, at + header + length));
      else if (opcode === 0x8) return fail("closed by the server");
      at += header + length;
    }
    pending = at < data.length ? data.slice(at) : new Uint8Array(0);
  };

  return new Promise((resolve, reject) => {
    Bun.connect({
      hostname: options.host,
      port: options.port,
      socket: {
        open(s) {
          socket = s;
          const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
          s.write(
            `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\n` +
              `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
          );
          resolve({
            close: () => {
              closing = true;
              s.end();
            },
          });
        },
        data: (_s, chunk) => onData(chunk),
        close: () => fail("connection closed"),
        error: (_s, error) => fail(`socket error: ${error.message}`),
        connectError: (_s, error) => {
          fail(`connect failed: ${error.message}`);
          reject(error);
        },
      },
    }).catch(reject);
  });
}
