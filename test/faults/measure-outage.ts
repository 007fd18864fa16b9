// Measures what issue 10 asks to report, with the default timeouts: a 10 s database outage under
// load (refused, or half-open), through the fault proxy. Not part of the suite (bun test skips it):
// `bun test/faults/measure-outage.ts [refuse|blackhole] [seconds]`. Needs Postgres.
import { postgresScene, sendLoad, timedGet, timedSend } from "./support.ts";

const mode = process.argv[2] === "blackhole" ? "blackhole" : "refuse";
const seconds = Number(process.argv[3] ?? 10);
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? NaN;

{
  await using scene = await postgresScene({}, 6);
  const { chat, db, room, sockets } = scene;
  const load = sendLoad(sockets, room.id);
  await Bun.sleep(1000);
  const cut = performance.now();
  if (mode === "refuse") await db.proxy.refuse();
  else db.proxy.blackhole();
  const readyz: number[] = [];
  let firstUnavailable = NaN;
  while (performance.now() - cut < seconds * 1000) {
    readyz.push((await timedGet(`${chat.url}/readyz`)).ms);
    const failed = load.results.find((r) => r.at > cut && r.code === "UNAVAILABLE");
    if (failed && Number.isNaN(firstUnavailable)) firstUnavailable = failed.at + failed.ms - cut;
    await Bun.sleep(200);
  }
  await db.proxy.restore();
  const back = performance.now();
  const recovered = await Promise.all(
    sockets.map(async (socket) => {
      for (;;) if ((await timedSend(socket, room.id, "after")).code === "OK") return performance.now() - back;
    }),
  );
  const results = await load.stop();
  const during = results.filter((r) => r.at > cut && r.at < back);
  const codes: Record<string, number> = {};
  for (const r of during) codes[r.code] = (codes[r.code] ?? 0) + 1;
  console.log(`${mode} for ${seconds} s, 6 clients sending every 50 ms, default timeouts`);
  console.log(`  sends during the outage: ${during.length} ${JSON.stringify(codes)}; ack time p50 ${Math.round(percentile(during.map((r) => r.ms), 0.5))} ms, max ${Math.round(Math.max(...during.map((r) => r.ms)))} ms`);
  console.log(`  first UNAVAILABLE ack ${Math.round(firstUnavailable)} ms after the cut; /readyz max ${Math.round(Math.max(...readyz))} ms`);
  console.log(`  recovery (restore → an ok ack on every client): max ${Math.round(Math.max(...recovered))} ms`);
}
