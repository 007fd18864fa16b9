// Who is typing in which room, from typing:update: each indicator ends on isTyping false or, if that
// never comes (a lost connection), after EXPIRY_MS; and the line the page shows ("Ada is typing…").
// A little over the server's 5 s, so the server's own isTyping false normally comes first.
export const TYPING_EXPIRY_MS = 6_000;

export type TypingTracker = {
  update(roomId: string, userId: string, firstName: string, isTyping: boolean): void;
  line(roomId: string): string;
  clear(): void;
};

export function createTypingTracker(onChange: (roomId: string) => void, expiryMs = TYPING_EXPIRY_MS): TypingTracker {
  const rooms = new Map<string, Map<string, { name: string; timer: ReturnType<typeof setTimeout> }>>();
  function stop(roomId: string, userId: string): void {
    const room = rooms.get(roomId);
    const entry = room?.get(userId);
    if (!room || !entry) return;
    clearTimeout(entry.timer);
    room.delete(userId);
    onChange(roomId);
  }
  return {
    update(roomId, userId, firstName, isTyping) {
      if (!isTyping) return stop(roomId, userId);
      const room = rooms.get(roomId) ?? new Map();
      rooms.set(roomId, room);
      const previous = room.get(userId);
      if (previous) clearTimeout(previous.timer);
      room.set(userId, { name: firstName, timer: setTimeout(() => stop(roomId, userId), expiryMs) });
      onChange(roomId);
    },
    line(roomId) {
      const names = [...(rooms.get(roomId)?.values() ?? [])].map((entry) => entry.name);
      if (names.length === 0) return "";
      if (names.length === 1) return `${names[0]} is typing…`;
      if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
      return "Several people are typing…";
    },
    clear() {
      for (const room of rooms.values()) for (const entry of room.values()) clearTimeout(entry.timer);
      rooms.clear();
    },
  };
}
