// Reads a polling POST body with a byte limit, stopping as soon as the limit is crossed instead
// of buffering an attacker's whole upload first (CVE-2020-36048 was exactly that).
export type BodyResult = { ok: true; text: string } | { ok: false; reason: "too_large" | "aborted" };

export async function readBodyLimited(request: Request, limit: number): Promise<BodyResult> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > limit) return { ok: false, reason: "too_large" };
  if (declared <= limit) {
    // A declared length within the limit (the usual case): Bun reads exactly that much natively.
    try {
      return { ok: true, text: await request.text() };
    } catch {
      return { ok: false, reason: "aborted" };
    }
  }
  if (!request.body) return { ok: true, text: "" };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        return { ok: false, reason: "too_large" };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, reason: "aborted" };
  }
  // One concatenation at the end: appending per chunk is quadratic for a body sent in many pieces.
  return { ok: true, text: Buffer.concat(chunks, total).toString("utf8") };
}
