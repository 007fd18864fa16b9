// The chat use cases over the shared test database, with a recording realtime notifier, and
// accounts made in one line. Emails are unique per call, so no test depends on an empty table.
import { createPasswordHasher } from "../../src/auth/passwords.ts";
import { createTokenService } from "../../src/auth/tokens.ts";
import { createChatServices, type ChatServices } from "../../src/chat/index.ts";
import type { RealtimeNotifier } from "../../src/chat/ports.ts";
import type { Room, User } from "../../src/chat/types.ts";
import { createRepositories, type Repositories } from "../../src/db/repositories/index.ts";
import { testDatabase } from "./database.ts";
import { TEST_JWT_SECRET, TEST_PASSWORD_COST } from "./server.ts";

export type RoomCreatedCall = { room: Room; creator: { id: string; firstName: string; lastName: string } };

/** A notifier that only remembers what it was told. */
export function recordingNotifier(): RealtimeNotifier & { roomsCreated: RoomCreatedCall[] } {
  const roomsCreated: RoomCreatedCall[] = [];
  return { roomsCreated, roomCreated: (room, creator) => void roomsCreated.push({ room, creator }) };
}

export type TestChat = { chat: ChatServices; repos: Repositories; notifier: ReturnType<typeof recordingNotifier> };

export async function testChat(): Promise<TestChat> {
  const repos = createRepositories(await testDatabase());
  const notifier = recordingNotifier();
  const chat = createChatServices({
    ...repos,
    passwords: createPasswordHasher(TEST_PASSWORD_COST),
    tokens: createTokenService({ secret: TEST_JWT_SECRET }),
    notifier,
  });
  return { chat, repos, notifier };
}

export function uniqueEmail(name = "user"): string {
  return `${name}.${crypto.randomUUID()}@example.test`;
}

export const TEST_PASSWORD = "correct horse battery staple";

/** Registers an account through the use case; answers the user and a token for it. */
export async function registerUser(chat: ChatServices, firstName = "Ada"): Promise<{ user: User; token: string }> {
  return chat.accounts.register({ email: uniqueEmail(firstName.toLowerCase()), password: TEST_PASSWORD, firstName, lastName: "Tester" });
}

/** A well-formed uuid that no row has. */
export const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

export { rejectionOf } from "./promises.ts";
