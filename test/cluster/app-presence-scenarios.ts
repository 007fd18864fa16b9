// Presence across two application nodes on one cluster bus (issue 11 §2), shared by the Redis and
// the Postgres runs: a user is online on their first socket anywhere and offline after the last one
// closes anywhere, announced once to everyone on every node; a starting node clears only what no
// live node counts; a tab reconnecting to the other node keeps counts and presence right.
import { expect, test } from "bun:test";
import {
  closedOnServer,
  emitAck,
  expectAckError,
  expectOk,
  record,
  statusBarrier,
  waitFor,
  type ChatHarness,
  type UserStatus,
  type WireProfile,
} from "../support/chat-client.ts";

/** One cluster of the test's own: `start` starts one more node of it; disposing it frees what it holds. */
export type TestCluster = { start(): Promise<ChatHarness>; [Symbol.asyncDispose](): Promise<void> };

const statusesOf = (log: UserStatus[], userId: string): string[] => log.filter((s) => s.userId === userId).map((s) => s.status);

export function clusterPresenceScenarios(newCluster: () => Promise<TestCluster>): void {
  test("online on the first socket anywhere, offline after the last one anywhere, each announced once on both nodes", async () => {
    await using cluster = await newCluster();
    await using one = await cluster.start();
    await using two = await cluster.start();
    const ada = await one.user("Ada");
    const [carol, bob] = [await one.user("Carol"), await two.user("Bob")];
    const carolSocket = await one.connect(carol);
    const bobSocket = await two.connect(bob);
    const heardByCarol = record<UserStatus>(carolSocket, "user:status");
    const heardByBob = record<UserStatus>(bobSocket, "user:status");

    const adaOne = await one.connect(ada);
    await statusBarrier(one.server, carolSocket, bobSocket);
    // Her second socket, on the other node, is no news.
    const adaTwo = await two.connect(ada);
    await statusBarrier(two.server, carolSocket, bobSocket);
    expect([statusesOf(heardByCarol, ada.id), statusesOf(heardByBob, ada.id)]).toEqual([["online"], ["online"]]);

    // Closing the first one is no news either: her socket on node two still counts.
    const firstClosed = closedOnServer(one.server, adaOne);
    adaOne.disconnect();
    await firstClosed;
    await statusBarrier(one.server, carolSocket, bobSocket);
    expect([statusesOf(heardByCarol, ada.id), statusesOf(heardByBob, ada.id)]).toEqual([["online"], ["online"]]);
    expect((await one.rest<WireProfile>("GET", `/api/users/${ada.id}`, bob.token)).body.data.status).toBe("online");

    const offlineForCarol = waitFor<UserStatus>(carolSocket, "user:status", 3000, (s) => s.userId === ada.id);
    const lastClosed = closedOnServer(two.server, adaTwo);
    adaTwo.disconnect();
    await lastClosed;
    expect(await offlineForCarol).toEqual({ userId: ada.id, status: "offline" });
    await statusBarrier(two.server, carolSocket, bobSocket);
    expect([statusesOf(heardByCarol, ada.id), statusesOf(heardByBob, ada.id)]).toEqual([
      ["online", "offline"],
      ["online", "offline"],
    ]);
    expect((await two.rest<WireProfile>("GET", `/api/users/${ada.id}`, bob.token)).body.data.status).toBe("offline");
  });

  test("a user whose only sockets are on one node stays online while another node comes and goes", async () => {
    await using cluster = await newCluster();
    await using one = await cluster.start();
    const ada = await one.user("Ada");
    const bob = await one.user("Bob");
    const bobSocket = await one.connect(bob);
    await one.connect(ada);
    await statusBarrier(one.server, bobSocket);
    const heard = record<UserStatus>(bobSocket, "user:status");
    {
      // A node starting clears only what no live node counts: Ada is counted by node one.
      await using two = await cluster.start();
      expect((await two.rest<WireProfile>("GET", `/api/users/${ada.id}`, bob.token)).body.data.status).toBe("online");
    }
    await statusBarrier(one.server, bobSocket);
    expect(statusesOf(heard, ada.id)).toEqual([]);
    expect((await one.rest<WireProfile>("GET", `/api/users/${ada.id}`, bob.token)).body.data.status).toBe("online");
  });

  test("a tab that reconnects to the other node: joined state is its new socket's, counts and presence stay right", async () => {
    await using cluster = await newCluster();
    await using one = await cluster.start();
    await using two = await cluster.start();
    const [ada, bob] = [await one.user("Ada"), await two.user("Bob")];
    const room = await one.createRoom(ada, { name: "Reconnect" });
    const bobSocket = await two.connect(bob);
    expectOk(await emitAck(bobSocket, "room:join", room.id));
    const firstTab = await one.connect(ada);
    const secondTab = await two.connect(ada);
    expectOk(await emitAck(firstTab, "room:join", room.id));
    expectOk(await emitAck(secondTab, "room:join", room.id));
    // Ada's tabs connected on both nodes: what either node announced has reached Bob before recording.
    await statusBarrier(one.server, bobSocket);
    await statusBarrier(two.server, bobSocket);
    const statuses = record<UserStatus>(bobSocket, "user:status");
    const joins = record(bobSocket, "room:userJoined");
    const leaves = record(bobSocket, "room:userLeft");

    // The first tab drops and comes back on node two, as a load balancer may send it.
    const dropped = closedOnServer(one.server, firstTab);
    firstTab.disconnect();
    await dropped;
    const again = await two.connect(ada);
    // A new socket has joined nothing: it must join before sending.
    expectAckError(await emitAck(again, "message:send", { roomId: room.id, text: "too soon" }), "FORBIDDEN");
    expectOk(await emitAck(again, "room:join", room.id));
    // Her other tab leaving is no news while the reconnected one is in the room.
    expectOk(await emitAck(secondTab, "room:leave", room.id));
    await statusBarrier(two.server, bobSocket);
    expect([statusesOf(statuses, ada.id), joins, leaves]).toEqual([[], [], []]);

    const left = waitFor<{ userId: string }>(bobSocket, "room:userLeft");
    expectOk(await emitAck(again, "room:leave", room.id));
    expect(await left).toMatchObject({ userId: ada.id });
    const offline = waitFor<UserStatus>(bobSocket, "user:status", 3000, (s) => s.userId === ada.id);
    secondTab.disconnect();
    again.disconnect();
    expect(await offline).toEqual({ userId: ada.id, status: "offline" });
  });
}
