// The chat domain's use cases built over one set of ports: what the composition root hands to the
// edges (REST and the socket gateway).
import { createAccounts } from "./accounts.ts";
import { createDirectMessages } from "./direct-messages.ts";
import type { MessageStore, PasswordHasher, PresenceStore, RealtimeNotifier, RoomStore, TokenService, UserStore } from "./ports.ts";
import { createPresence } from "./presence.ts";
import { createProfiles } from "./profiles.ts";
import { createRoomMessages } from "./room-messages.ts";
import { createRooms } from "./rooms.ts";
import { createSessions } from "./sessions.ts";

export type ChatDeps = {
  users: UserStore;
  presence: PresenceStore;
  rooms: RoomStore;
  messages: MessageStore;
  passwords: PasswordHasher;
  tokens: TokenService;
  notifier: RealtimeNotifier;
};

export type ChatServices = ReturnType<typeof createChatServices>;

export function createChatServices(deps: ChatDeps) {
  return {
    accounts: createAccounts(deps),
    sessions: createSessions(deps),
    profiles: createProfiles(deps),
    presence: createPresence(deps),
    rooms: createRooms(deps),
    roomMessages: createRoomMessages(deps),
    directMessages: createDirectMessages(deps),
  };
}
