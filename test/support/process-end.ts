// Things a test process opens once and shares between its files (Chromium for the browser files):
// registered here when first opened, released by test/support/setup.ts after the last file.

const releases: (() => Promise<void>)[] = [];

/** Releases `release` after the process's last test file (in the order registered). */
export function atProcessEnd(release: () => Promise<void>): void {
  releases.push(release);
}

/** Runs every registered release once; called by the preload's afterAll. */
export async function releaseProcessResources(): Promise<void> {
  for (const release of releases.splice(0)) await release();
}
