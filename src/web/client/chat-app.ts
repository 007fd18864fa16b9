// The signed-in page: the layout (rooms, the open conversation, members), the connection state in
// the header, and the wiring between REST, the socket's events and the panels. One room is open
// (joined) at a time; direct messages arrive wherever the person is, on every tab.
import type { Api } from "./api.ts";
import { createComposer } from "./composer.ts";
import { el, fullName } from "./dom.ts";
import { createMembersPanel } from "./members-panel.ts";
import { createMessageList } from "./message-list.ts";
import { createNotices } from "./notices.ts";
import { connectRealtime, RealtimeError, type ConnectionState } from "./realtime.ts";
import { createRoomsPanel } from "./rooms-panel.ts";
import type { Session } from "./session.ts";
import { createTypingTracker } from "./typing.ts";
import type { DirectMessage, Person, Room, RoomMessage, TypingUpdate, UserStatus } from "./types.ts";

type Conversation = { kind: "room"; room: Room } | { kind: "dm"; person: Person };
// Presence of at most this many members is fetched when a room opens; user:status keeps it current.
const PRESENCE_LOOKUPS = 100;
const STATE_TEXT: Record<ConnectionState, string> = { connecting: "Connecting…", connected: "Connected", reconnecting: "Reconnecting…" };

export type ChatApp = { element: HTMLElement; close(): void };

export function chatApp(api: Api, session: Session, signOut: (message?: string) => void): ChatApp {
  const me = session.user;
  const notices = createNotices();
  const badge = el("span", { class: "connection", "data-state": "connecting", role: "status" }, STATE_TEXT.connecting);
  const signOutButton = el("button", { type: "button", class: "link" }, "Sign out");
  signOutButton.addEventListener("click", () => signOut());
  let current: Conversation | undefined;

  const realtime = connectRealtime(session.token, {
    onState(state, detail) {
      badge.dataset.state = state;
      badge.textContent = detail ?? STATE_TEXT[state];
    },
    onSessionEnded: (message) => signOut(message),
    onReconnected() {
      void loadRooms();
      if (current) open(current);
    },
  });

  const list = createMessageList(me.id, notices.error);
  const title = el("h2", { class: "conversation-title" }, "Choose a room");
  const subtitle = el("p", { class: "conversation-subtitle" }, "Open a room on the left, or create one.");
  const leave = el("button", { type: "button", class: "link", hidden: true }, "Leave room");
  const typingLine = el("p", { class: "typing", "aria-live": "polite" });
  const typing = createTypingTracker((roomId) => {
    if (current?.kind === "room" && current.room.id === roomId) typingLine.textContent = typing.line(roomId);
  });
  const composer = createComposer({
    async send(text) {
      const clientId = crypto.randomUUID();
      try {
        if (current?.kind === "room") await realtime.request("message:send", { roomId: current.room.id, text, clientId });
        else if (current?.kind === "dm") await realtime.request("dm:send", { recipientId: current.person.id, text, clientId });
      } catch (error) {
        notices.error(error);
        throw error;
      }
    },
    typing(isTyping) {
      if (current?.kind === "room") realtime.socket.emit(isTyping ? "typing:start" : "typing:stop", { roomId: current.room.id });
    },
  });

  const rooms = createRoomsPanel({
    openRoom: (room) => open({ kind: "room", room }),
    openThread: (person) => open({ kind: "dm", person }),
    async createRoom(input) {
      try {
        const room = await api.createRoom({ name: input.name, description: input.description || undefined, isPublic: input.isPublic });
        rooms.addRoom(room);
        open({ kind: "room", room });
      } catch (error) {
        notices.error(error);
        throw error;
      }
    },
    refresh: () => void loadRooms(),
  });
  // user:status and room:userJoined events seen per user: a presence answer fetched over REST is
  // applied only when no event came while it was on its way.
  const statusEvents = new Map<string, number>();
  const members = createMembersPanel(me.id, {
    message: (person) => open({ kind: "dm", person }),
    async addParticipant(userId) {
      if (current?.kind !== "room") return;
      try {
        const result = await api.addParticipant(current.room.id, userId);
        notices.info(result.added ? "Participant added." : "Already a participant.");
        await showMembers(current.room);
      } catch (error) {
        notices.error(error);
        throw error;
      }
    },
  });

  const views = { rooms: "Rooms", chat: "Chat", members: "Members" } as const;
  const tabs = Object.entries(views).map(([view, name]) => {
    const tab = el("button", { type: "button", "data-view": view }, name);
    tab.addEventListener("click", () => (shell.dataset.view = view));
    return tab;
  });
  const chat = el(
    "main",
    { class: "panel chat-panel" },
    el("header", { class: "conversation-header" }, el("div", {}, title, subtitle), leave),
    list.element,
    typingLine,
    composer.element,
  );
  const shell = el(
    "div",
    { class: "shell", "data-view": "rooms" },
    el(
      "header",
      { class: "top" },
      el("h1", {}, "StudyConnect"),
      badge,
      el("span", { class: "me" }, el("span", { class: "me-name" }, fullName(me)), el("small", { class: "me-id", title: "Your user id: give it to a room admin to be added" }, `id ${me.id}`)),
      signOutButton,
    ),
    el("div", { class: "tabs", role: "tablist" }, ...tabs),
    rooms.element,
    chat,
    members.element,
    notices.element,
  );

  leave.addEventListener("click", () => {
    if (current?.kind !== "room") return;
    const roomId = current.room.id;
    realtime.request("room:leave", roomId).catch(notices.error);
    close();
  });

  function close(): void {
    composer.stopTyping();
    current = undefined;
    list.clear();
    members.hide();
    rooms.select(undefined);
    title.textContent = "Choose a room";
    subtitle.textContent = "Open a room on the left, or create one.";
    leave.hidden = true;
    typingLine.textContent = "";
    composer.setEnabled(false, "");
  }

  function open(conversation: Conversation): void {
    const previous = current;
    composer.stopTyping();
    if (previous?.kind === "room" && !(conversation.kind === "room" && conversation.room.id === previous.room.id)) {
      realtime.request("room:leave", previous.room.id).catch(() => {});
    }
    current = conversation;
    shell.dataset.view = "chat";
    typingLine.textContent = "";
    if (conversation.kind === "room") {
      const { room } = conversation;
      rooms.select(`room:${room.id}`);
      title.textContent = room.name;
      subtitle.textContent = room.description || (room.isPublic ? "Public room" : "Private room");
      leave.hidden = false;
      // Another room's members (and who joined it) must not show while this one loads.
      if (previous?.kind !== "room" || previous.room.id !== room.id) members.hide();
      composer.setEnabled(false, "Joining…");
      realtime
        .request("room:join", room.id)
        .then(() => {
          if (current !== conversation) return;
          composer.setEnabled(true, `Message ${room.name}`);
          typingLine.textContent = typing.line(room.id);
          void list.open((before) => api.roomMessages(room.id, before));
          void showMembers(room);
        })
        .catch((error: unknown) => {
          notices.error(error);
          if (current === conversation) composer.setEnabled(false, "Cannot join this room");
        });
    } else {
      const { person } = conversation;
      rooms.addThread(person, false);
      rooms.select(`dm:${person.id}`);
      title.textContent = fullName(person);
      subtitle.textContent = "Direct messages";
      leave.hidden = true;
      members.hide();
      composer.setEnabled(true, `Message ${person.firstName}`);
      void list.open((before) => api.directMessages(person.id, before));
    }
  }

  async function showMembers(room: Room): Promise<void> {
    try {
      const details = await api.room(room.id);
      if (current?.kind !== "room" || current.room.id !== room.id) return;
      const mine = details.participants.find((p) => p.user.id === me.id);
      members.show(details.participants, !details.isPublic && mine?.role === "admin");
      for (const p of details.participants.slice(0, PRESENCE_LOOKUPS)) {
        if (p.user.id === me.id) members.setStatus(me.id, "online");
        else {
          // A user:status that arrives while the profile is fetched is newer than the profile's answer.
          const seen = statusEvents.get(p.user.id) ?? 0;
          void api.profile(p.user.id).then((profile) => {
            if ((statusEvents.get(profile.id) ?? 0) === seen) members.setStatus(profile.id, profile.status);
          }, () => {});
        }
      }
    } catch (error) {
      notices.error(error);
    }
  }

  async function loadRooms(): Promise<void> {
    try {
      rooms.setRooms(await api.rooms());
      if (current?.kind === "room") rooms.select(`room:${current.room.id}`);
    } catch (error) {
      notices.error(error);
    }
  }

  const socket = realtime.socket;
  socket.on("message:received", (message: RoomMessage) => {
    members.know(message.sender);
    if (current?.kind === "room" && current.room.id === message.roomId) list.add(message);
  });
  socket.on("dm:received", (message: DirectMessage) => {
    const otherId = message.sender.id === me.id ? message.recipientId : message.sender.id;
    if (current?.kind === "dm" && current.person.id === otherId) return list.add(message);
    if (message.sender.id !== me.id) rooms.addThread(message.sender, true);
    else void api.profile(otherId).then((person) => rooms.addThread(person, true), () => {});
  });
  socket.on("dm:error", (error: { message?: string }) => notices.error(new RealtimeError(error.message ?? "The direct message was not sent.", "DM_ERROR")));
  socket.on("room:created", (room: Room) => rooms.addRoom(room));
  socket.on("room:userJoined", (event: { roomId: string; user: Person }) => {
    if (current?.kind !== "room" || current.room.id !== event.roomId) return;
    members.addMember(event.user);
    statusEvents.set(event.user.id, (statusEvents.get(event.user.id) ?? 0) + 1);
    members.setStatus(event.user.id, "online");
  });
  socket.on("typing:update", (event: TypingUpdate) => typing.update(event.roomId, event.userId, event.firstName, event.isTyping));
  socket.on("user:status", (event: UserStatus) => {
    statusEvents.set(event.userId, (statusEvents.get(event.userId) ?? 0) + 1);
    members.setStatus(event.userId, event.status);
  });

  composer.setEnabled(false, "");
  void loadRooms();
  return {
    element: shell,
    close() {
      typing.clear();
      realtime.close();
    },
  };
}
