// Splits the suite's files into shards of about equal duration: longest file first, each into the
// shard with the least time so far. Bun's own `--shard` keeps files in path order and cuts the list
// into runs, which leaves one shard 40 % longer than another when a few files are long.
export type Shard = { files: string[]; ms: number };

/** Durations of files without a measured one (new files) are guessed as the median of the others. */
export function balanceShards(files: readonly string[], durations: Readonly<Record<string, number>>, count: number): Shard[] {
  const known = files.map((file) => durations[file]).filter((ms): ms is number => ms !== undefined).sort((a, b) => a - b);
  const guess = known[Math.floor(known.length / 2)] ?? 1000;
  const weighted = files.map((file) => ({ file, ms: durations[file] ?? guess }));
  // Ties broken by path, so the split is the same on every machine for the same timings.
  weighted.sort((a, b) => b.ms - a.ms || a.file.localeCompare(b.file));
  const shards: Shard[] = Array.from({ length: Math.max(1, count) }, () => ({ files: [], ms: 0 }));
  for (const { file, ms } of weighted) {
    let lightest = shards[0] as Shard;
    for (const shard of shards) if (shard.ms < lightest.ms) lightest = shard;
    lightest.files.push(file);
    lightest.ms += ms;
  }
  for (const shard of shards) shard.files.sort();
  return shards.filter((shard) => shard.files.length > 0);
}

/** The `files` map of a timings file (`{ "version": 1, "files": { path: ms } }`); empty when unreadable. */
export function durationsOf(json: unknown): Record<string, number> {
  if (typeof json !== "object" || json === null || !("files" in json)) return {};
  const { files } = json;
  if (typeof files !== "object" || files === null) return {};
  const durations: Record<string, number> = {};
  for (const [file, ms] of Object.entries(files)) if (typeof ms === "number" && Number.isFinite(ms) && ms >= 0) durations[file] = ms;
  return durations;
}
