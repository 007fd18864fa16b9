// The chat domain's use cases built over one set of ports: what the composition root hands to the
// edges (REST and the socket gateway).
import { createAccounts } from "./accounts.ts";
import { createDirectMessages } from "./direct-messages.ts";
import type { MessageStore, PasswordHasher, PresenceStore, RealtimeNotifier, RoomStore, TokenService, UserStore } from "./ports.ts";
import { createMessageCatchUp } from "./message-catch-up.ts";
import { createPresence } from "./presence.ts";
import { createProfiles } from "./profiles.ts";
import { createRoomMessages } from "./room-messages.ts";
import { createRooms } from "./rooms.ts";
import { createSessions } from "./sessions.ts";
import { createStoreGuard, type StoreGuardOptions } from "./store-guard.ts";

export type ChatDeps = {
  users: UserStore;
  presence: PresenceStore;
  rooms: RoomStore;
  messages: MessageStore;
  passwords: PasswordHasher;
  tokens: TokenService;
  notifier: RealtimeNotifier;
  /** When given, every store call is guarded against a database that cannot answer (store-guard.ts). */
  guard?: StoreGuardOptions;
};

export type ChatServices = ReturnType<typeof createChatServices>;

export function createChatServices(given: ChatDeps) {
  const guard = given.guard && createStoreGuard(given.guard);
  const deps: ChatDeps = guard
    ? {
        ...given,
        users: guard.guard(given.users, "users"),
        presence: guard.guard(given.presence, "presence"),
        rooms: guard.guard(given.rooms, "rooms"),
        messages: guard.guard(given.messages, "messages"),
      }
    : given;
  return {
    accounts: createAccounts(deps),
    sessions: createSessions(deps),
    profiles: createProfiles(deps),
    presence: createPresence(deps),
    rooms: createRooms(deps),
    roomMessages: createRoomMessages(deps),
    directMessages: createDirectMessages(deps),
    catchUp: createMessageCatchUp(deps),
  };
}
