// The repositories as one bundle over one database handle, for the composition root to hand out.
import type { Database } from "../database.ts";
import { createMessagesRepository } from "./messages.ts";
import { createPresenceRepository } from "./presence.ts";
import { createRoomsRepository } from "./rooms.ts";
import { createUsersRepository } from "./users.ts";

export type Repositories = ReturnType<typeof createRepositories>;

export function createRepositories({ db, jsonStatement }: Pick<Database, "db" | "jsonStatement">) {
  return {
    users: createUsersRepository(db, jsonStatement),
    presence: createPresenceRepository(db, jsonStatement),
    rooms: createRoomsRepository(db),
    messages: createMessagesRepository(db, jsonStatement),
  };
}

export * from "./messages.ts";
export * from "./presence.ts";
export * from "./rooms.ts";
export * from "./users.ts";
