// The official browser client's files, inlined at bundle time by the macro in client-files.ts.
// Megabytes of text: client-bundle.ts imports this module only when a client file is first asked
// for, so a server start does not parse it.
import { readClientFiles } from "./client-files.ts" with { type: "macro" };

export const bundle = readClientFiles();
