// The repositories as one bundle over one database handle, for the composition root to hand out.
import type { Database } from "../database.ts";
import { createMessagesRepository } from "./messages.ts";
import { createPresenceRepository } from "./presence.ts";
import { createRoomsRepository } from "./rooms.ts";
import { createUsersRepository } from "./users.ts";

export type Repositories = ReturnType<typeof createRepositories>;

export function createRepositories({ db, jsonStatement, driver }: Pick<Database, "db" | "jsonStatement" | "driver">) {
  return {
    users: createUsersRepository(db, jsonStatement),
    presence: createPresenceRepository(db, jsonStatement),
    rooms: createRoomsRepository(db),
    // Postgres commits on a pool of connections: message batches overlap their commits there.
    messages: createMessagesRepository(db, jsonStatement, driver === "postgres"),
  };
}

export * from "./messages.ts";
export * from "./presence.ts";
export * from "./rooms.ts";
export * from "./users.ts";
