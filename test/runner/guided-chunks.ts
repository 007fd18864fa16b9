// Cuts the suite into chunks for the runner's worker pool (guided scheduling in batches): longest
// files first, one chunk per worker in each batch, a batch covering a share of the estimated time still
// left, never under a floor; so the first chunks are big (few `bun test` start-ups) and the last ones
// small (the workers finish together).
export type Chunk = { files: string[]; ms: number };

/**
 * share: the part of what is left that a batch of `workers` chunks covers (1 would make the first
 * batch the whole suite, leaving nothing to even out a chunk running long); floorMs: the smallest
 * chunk worth a process, since each `bun test` pays a start-up (1.5 s or more of CPU with PGlite's preload).
 */
export type Guide = { workers: number; share: number; floorMs: number };

/** Durations of files without a measured one (new files) are guessed as the median of the others. */
export function estimateDurations(files: readonly string[], durations: Readonly<Record<string, number>>): { file: string; ms: number }[] {
  const known = files.map((file) => durations[file]).filter((ms): ms is number => ms !== undefined).sort((a, b) => a - b);
  const guess = known[Math.floor(known.length / 2)] ?? 1000;
  const weighted = files.map((file) => ({ file, ms: durations[file] ?? guess }));
  // Ties broken by path, so the chunks are the same on every machine for the same timings.
  return weighted.sort((a, b) => b.ms - a.ms || a.file.localeCompare(b.file));
}

/**
 * The chunks in the order the workers take them. Each batch of `workers` chunks has the target
 * max(left · share / workers, floorMs), `left` counted when the batch starts; it depends only on what
 * is left, not on which worker asks or when, so the sequence is known up front and the same for the
 * same timings.
 */
export function guidedChunks(files: readonly string[], durations: Readonly<Record<string, number>>, guide: Guide): Chunk[] {
  const queue = estimateDurations(files, durations);
  const workers = Math.max(1, guide.workers);
  let left = queue.reduce((sum, { ms }) => sum + ms, 0);
  const chunks: Chunk[] = [];
  let target = 0;
  while (queue.length > 0) {
    if (chunks.length % workers === 0) target = Math.max((left * guide.share) / workers, guide.floorMs);
    // Less than half the floor left after this chunk: it goes in too, rather than a tiny last chunk.
    const fill = left - target < guide.floorMs / 2 ? left : target;
    // The longest file left, then the longest of the rest that still fit: the chunk comes near its
    // target, and the short files stay for the last chunks, where they even out the finish.
    const chunk: Chunk = { files: [], ms: 0 };
    for (let index = 0; index < queue.length; ) {
      const item = queue[index] as { file: string; ms: number };
      if (chunk.files.length > 0 && chunk.ms + item.ms > fill) {
        index++;
        continue;
      }
      chunk.files.push(item.file);
      chunk.ms += item.ms;
      queue.splice(index, 1);
    }
    left -= chunk.ms;
    chunks.push(chunk);
  }
  return chunks;
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
