// Connection state recovery across two of our nodes on Postgres (the shared recovery scenarios).
import { describe } from "bun:test";
import { clusterFormed, dropTable, postgresAvailable, startPgNode, uniqueCluster } from "./postgres-support.ts";
import { recoveryScenarios } from "./recovery-scenarios.ts";

const available = await postgresAvailable("recovery across Postgres nodes");

describe.skipIf(!available)("connection state recovery across Postgres nodes", () => {
  recoveryScenarios({
    async start(serverOptions) {
      const cluster = uniqueCluster("recovery");
      const a = await startPgNode(cluster, {}, () => {}, serverOptions);
      const b = await startPgNode(cluster, {}, () => {}, serverOptions);
      await clusterFormed([a, b]);
      return {
        a,
        b,
        async [Symbol.asyncDispose]() {
          await b[Symbol.asyncDispose]();
          await a[Symbol.asyncDispose]();
          await dropTable(cluster.tableName, cluster.sessionTableName);
        },
      };
    },
  });
});
