#!/usr/bin/env bun
// `bun run seed`: demo users with known passwords and two rooms (one public, one private) on the
// configured database, made through the use cases. Idempotent: a second run finds what the first made.
import { createApp } from "./app.ts";
import { resolveJwtSecret } from "./auth/secret-file.ts";
import { DuplicateEmailError } from "./chat/errors.ts";
import type { ChatServices } from "./chat/index.ts";
import type { Room, User } from "./chat/types.ts";
import { loadConfig } from "./config.ts";
import { createLogger } from "./lib/logger.ts";
import { DataDirectoryInUseError } from "./db/data-dir-lock.ts";
import { describeError } from "./lib/error-cause.ts";

export const DEMO_USERS = [
  { email: "ada@example.com", password: "demo-ada-password", firstName: "Ada", lastName: "Lovelace" },
  { email: "alan@example.com", password: "demo-alan-password", firstName: "Alan", lastName: "Turing" },
  { email: "grace@example.com", password: "demo-grace-password", firstName: "Grace", lastName: "Hopper" },
] as const;

export type DemoData = { users: User[]; rooms: Room[] };

async function demoUser(chat: ChatServices, account: (typeof DEMO_USERS)[number]): Promise<User> {
  try {
    return (await chat.accounts.register(account)).user;
  } catch (error) {
    if (!(error instanceof DuplicateEmailError)) throw error;
    // Made by an earlier run; logging in also proves the printed password still works.
    return (await chat.accounts.login(account)).user;
  }
}

async function demoRoom(chat: ChatServices, owner: User, name: string, description: string, isPublic: boolean): Promise<Room> {
  const existing = (await chat.rooms.list(owner.id)).find((room) => room.name === name && room.createdBy === owner.id);
  return existing ?? chat.rooms.create(owner.id, { name, description, isPublic });
}

export async function seedDemoData(chat: ChatServices): Promise<DemoData> {
  const users: User[] = [];
  for (const account of DEMO_USERS) users.push(await demoUser(chat, account));
  const [ada, alan, grace] = users;
  if (!ada || !alan || !grace) throw new Error("demo users missing");

  const calculus = await demoRoom(chat, ada, "Calculus study group", "Limits, derivatives and integrals, week by week", true);
  await chat.rooms.join(alan.id, calculus.id);
  // Fixed clientIds make the messages idempotent too: a second run stores nothing new.
  await chat.roomMessages.send({ userId: ada.id, roomId: calculus.id, text: "Welcome! Problem set 1 is due Friday.", clientId: "seed-calculus-1" });
  await chat.roomMessages.send({ userId: alan.id, roomId: calculus.id, text: "Thanks! Anyone up for a session tonight?", clientId: "seed-calculus-2" });

  const thesis = await demoRoom(chat, grace, "Thesis writing circle", "Private: drafts and feedback", false);
  await chat.rooms.addParticipant(grace.id, thesis.id, ada.id);
  await chat.directMessages.send({ senderId: grace.id, recipientId: alan.id, text: "Could you review my chapter 2?", clientId: "seed-dm-1" });
  return { users, rooms: [calculus, thesis] };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, undefined, config.logFormat);
  config.jwtSecret = resolveJwtSecret(config.jwtSecret, config.dataDir, logger);
  // A server may be running on this database: its users' presence is left alone.
  const app = await createApp(config, logger, { clearStalePresence: false });
  try {
    const { rooms } = await seedDemoData(app.chat);
    const where = config.databaseUrl ? "Postgres (DATABASE_URL)" : `PGlite in ${config.dataDir}`;
    const lines = [`Demo data ready on ${where}.`, "", "Accounts (email / password):"];
    for (const account of DEMO_USERS) lines.push(`  ${account.email}  /  ${account.password}   (${account.firstName} ${account.lastName})`);
    lines.push("", "Rooms:");
    for (const room of rooms) lines.push(`  ${room.name}  (${room.isPublic ? "public" : "private"}, id ${room.id})`);
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await app.close();
  }
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    // One line, e.g. a PGlite DATA_DIR held by a running server, or an unreachable database.
    const why = error instanceof DataDirectoryInUseError ? error.message : describeError(error);
    process.stderr.write(`bun run seed failed: ${why}\n`);
    process.exit(1);
  }
}
