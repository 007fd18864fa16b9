// What a test process shares between its files (Chromium for the browser files) and what files leave
// to clean up (Redis keys): registered here, released by test/support/setup.ts after the last file (a
// `bun run test` worker, which exits without running more JavaScript, releases only the leftovers, after each file).

type Release = () => Promise<void>;
const shared: Release[] = [];
const leftovers: Release[] = [];

/** Releases `release` after the process's last test file (in the order registered). */
export function atProcessEnd(release: Release): void {
  shared.push(release);
}

/** Releases `release` after the file that registered it, or at the latest after the process's last file. */
export function afterTestFile(release: Release): void {
  leftovers.push(release);
}

/** Runs the leftovers' releases registered so far, once each. */
export async function releaseFileLeftovers(): Promise<void> {
  for (const release of leftovers.splice(0)) await release();
}

/** Runs every registered release once; called by the preload's afterAll. */
export async function releaseProcessResources(): Promise<void> {
  await releaseFileLeftovers();
  for (const release of shared.splice(0)) await release();
}
