// User profiles as other signed-in users see them: public fields plus presence. A user with no
// presence row has never connected: offline, with no last activity.
import { NotFoundError } from "./errors.ts";
import type { PresenceStore, UserStore } from "./ports.ts";
import type { Profile } from "./types.ts";

export type Profiles = ReturnType<typeof createProfiles>;

export function createProfiles({ users, presence }: { users: UserStore; presence: PresenceStore }) {
  return {
    async get(userId: string): Promise<Profile> {
      const user = await users.findById(userId);
      if (!user) throw new NotFoundError("User not found");
      const seen = await presence.get(user.id);
      return {
        id: user.id,
        firstName: user.firstName,
        lastName: user.lastName,
        role: user.role,
        avatar: user.avatar,
        status: seen?.status ?? "offline",
        lastActivity: seen?.lastActivity ?? null,
      };
    },
  };
}
