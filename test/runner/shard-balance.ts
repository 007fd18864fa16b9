// Splits the suite's files into shards of about equal duration: longest file first, each into the
// shard with the least time so far. Bun's own `--shard` keeps files in path order and cuts the list
// into runs, which leaves one shard 40 % longer than another when a few files are long.
export type Shard = { files: string[]; ms: number };

/**
 * Durations of files without a measured one (new files) are guessed as the median of the others.
 * Files `groupOf` names the same group go to one shard together (e.g. the browser files, which share
 * one Chromium per process); a file it answers undefined for is a group of its own.
 */
export function balanceShards(
  files: readonly string[],
  durations: Readonly<Record<string, number>>,
  count: number,
  groupOf: (file: string) => string | undefined = () => undefined,
): Shard[] {
  const known = files.map((file) => durations[file]).filter((ms): ms is number => ms !== undefined).sort((a, b) => a - b);
  const guess = known[Math.floor(known.length / 2)] ?? 1000;
  const units = new Map<string, { key: string; files: string[]; ms: number }>();
  for (const file of files) {
    const key = groupOf(file) ?? file;
    const unit = units.get(key) ?? { key, files: [], ms: 0 };
    unit.files.push(file);
    unit.ms += durations[file] ?? guess;
    units.set(key, unit);
  }
  // Longest first; ties broken by name, so the split is the same on every machine for the same timings.
  const weighted = [...units.values()].sort((a, b) => b.ms - a.ms || a.key.localeCompare(b.key));
  const shards: Shard[] = Array.from({ length: Math.max(1, count) }, () => ({ files: [], ms: 0 }));
  for (const unit of weighted) {
    let lightest = shards[0] as Shard;
    for (const shard of shards) if (shard.ms < lightest.ms) lightest = shard;
    lightest.files.push(...unit.files);
    lightest.ms += unit.ms;
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
