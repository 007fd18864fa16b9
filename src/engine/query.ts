// The query parameters the engine routes on (EIO, transport, sid), read straight from the URL
// string: every polling request needs them, and a full URL parse per request is measurable.

export type EngineQuery = { eio: string | null; transport: string | null; sid: string | null };

export function readEngineQuery(url: string): EngineQuery {
  const query: EngineQuery = { eio: null, transport: null, sid: null };
  const start = url.indexOf("?");
  if (start === -1) return query;
  const hash = url.indexOf("#", start);
  const end = hash === -1 ? url.length : hash;
  let i = start + 1;
  while (i < end) {
    let amp = url.indexOf("&", i);
    if (amp === -1 || amp > end) amp = end;
    const eq = url.indexOf("=", i);
    const hasValue = eq !== -1 && eq < amp;
    const key = url.slice(i, hasValue ? eq : amp);
    // The first occurrence wins, as with URLSearchParams.get.
    if ((key === "EIO" || key === "transport" || key === "sid") && query[keyOf(key)] === null) {
      query[keyOf(key)] = decode(hasValue ? url.slice(eq + 1, amp) : "");
    }
    i = amp + 1;
  }
  return query;
}

function keyOf(key: "EIO" | "transport" | "sid"): keyof EngineQuery {
  return key === "EIO" ? "eio" : key;
}

function decode(value: string): string {
  if (value.indexOf("%") === -1 && value.indexOf("+") === -1) return value;
  try {
    return decodeURIComponent(value.replaceAll("+", " "));
  } catch {
    // Malformed escapes: keep the raw text; it will simply not match anything.
    return value;
  }
}
