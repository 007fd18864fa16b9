// The web app's files, built and inlined at bundle time by the macro in build-assets.ts. The page
// module (page.ts) imports this only when a page file is first asked for, so start-up does not wait for it.
import { buildWebAssets } from "./build-assets.ts" with { type: "macro" };

export const assets = buildWebAssets();
