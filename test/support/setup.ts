// Preloaded by bun test (bunfig.toml): one default timeout for every case (bunfig's [test] timeout
// is not applied by `bun test` 1.4.5: cases still stopped at 5 s), and the process-wide test
// database released after the last file.
import { afterAll, setDefaultTimeout } from "bun:test";
import { closeTestDatabase } from "./database.ts";

// Server tests wait on real sockets and processes; on a busy 2-core machine a case may need more
// than 5 s, and one that hangs should still fail well before CI gives up.
setDefaultTimeout(30_000);

afterAll(closeTestDatabase);
