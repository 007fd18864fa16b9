// readEngineQuery must agree with URLSearchParams on the three parameters the engine routes on.
import { describe, expect, test } from "bun:test";
import { readEngineQuery } from "../../src/engine/query.ts";

function reference(url: string) {
  const params = new URL(url, "http://x").searchParams;
  return { eio: params.get("EIO"), transport: params.get("transport"), sid: params.get("sid") };
}

describe("readEngineQuery", () => {
  const cases = [
    "/socket.io/?EIO=4&transport=polling",
    "/socket.io/?EIO=4&transport=polling&t=abc&sid=AbC_-123",
    "/socket.io/?transport=websocket&EIO=4&sid=a%2Bb%3D",
    "/socket.io/?EIO=4&EIO=3&transport=polling",
    "/socket.io/?EIO&transport=",
    "/socket.io/",
    "/socket.io/?",
    "/socket.io/?sid=a+b&transport=__proto__",
    "/socket.io/?EIO=4&transport=polling#frag&sid=x",
    "/socket.io/?&&EIO=4&&",
  ];
  test.each(cases)("%s", (url) => {
    const expected = reference(url);
    const actual = readEngineQuery(`http://127.0.0.1${url}`);
    expect(actual).toEqual(expected);
  });

  test("a malformed escape never throws; the raw text matches no session", () => {
    expect(readEngineQuery("http://127.0.0.1/socket.io/?sid=%E0%A4%A&EIO=4")).toEqual({ eio: "4", transport: null, sid: "%E0%A4%A" });
  });
});
