// The room list (public rooms and my private ones, from GET /api/rooms and room:created) with the
// form that creates a room, and the list of direct-message conversations with their unread marks.
import { el, fullName } from "./dom.ts";
import type { Person, Room } from "./types.ts";

export type RoomsPanel = {
  element: HTMLElement;
  setRooms(rooms: Room[]): void;
  addRoom(room: Room): void;
  room(id: string): Room | undefined;
  /** Marks the open conversation ("room:<id>" or "dm:<id>"). */
  select(key: string | undefined): void;
  addThread(person: Person, unread: boolean): void;
};

export type RoomsHandlers = {
  openRoom(room: Room): void;
  openThread(person: Person): void;
  createRoom(input: { name: string; description: string; isPublic: boolean }): Promise<void>;
  refresh(): void;
};

export function createRoomsPanel(handlers: RoomsHandlers): RoomsPanel {
  const rooms = new Map<string, Room>();
  // Rooms announced by room:created since the list was last loaded: a list fetched before a room was
  // created may arrive after its announcement, and must not drop it.
  const announced = new Map<string, Room>();
  const roomList = el("ul", { class: "room-list", "aria-label": "Rooms" });
  const threadList = el("ul", { class: "thread-list", "aria-label": "Direct messages" });
  const threads = new Map<string, { person: Person; item: HTMLElement }>();
  let selected: string | undefined;

  const name = el("input", { name: "name", required: true, maxlength: "100", placeholder: "New room name", "aria-label": "Room name" });
  const description = el("input", { name: "description", maxlength: "1000", placeholder: "Description (optional)", "aria-label": "Room description" });
  const isPrivate = el("input", { type: "checkbox", name: "private" });
  const create = el("button", { type: "submit" }, "Create room");
  const form = el("form", { class: "create-room" }, name, description, el("label", { class: "inline" }, isPrivate, " Private (only people an admin adds)"), create);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    create.disabled = true;
    handlers
      .createRoom({ name: name.value, description: description.value, isPublic: !isPrivate.checked })
      .then(() => form.reset())
      .catch(() => {})
      .finally(() => {
        create.disabled = false;
      });
  });
  const refresh = el("button", { type: "button", class: "link", title: "Reload the room list" }, "Refresh");
  refresh.addEventListener("click", () => handlers.refresh());

  function renderRooms(): void {
    const items = [...rooms.values()].map((room) => {
      const key = `room:${room.id}`;
      const button = el(
        "button",
        { type: "button", class: "room", "data-room-id": room.id, "aria-current": selected === key ? "true" : undefined },
        el("span", { class: "name" }, room.name),
        room.isPublic ? null : el("span", { class: "badge" }, "private"),
      );
      button.addEventListener("click", () => handlers.openRoom(room));
      return el("li", {}, button);
    });
    roomList.replaceChildren(...items);
    if (items.length === 0) roomList.appendChild(el("li", { class: "empty" }, "No rooms yet: create the first one."));
  }

  function markThreads(): void {
    for (const [id, { item }] of threads) {
      const current = selected === `dm:${id}`;
      item.toggleAttribute("aria-current", current);
      if (current) item.classList.remove("unread");
    }
  }

  return {
    element: el(
      "nav",
      { class: "panel rooms-panel", "aria-label": "Rooms and direct messages" },
      el("div", { class: "panel-title" }, el("h2", {}, "Rooms"), refresh),
      roomList,
      form,
      el("h2", {}, "Direct messages"),
      threadList,
    ),
    setRooms(list) {
      rooms.clear();
      for (const room of announced.values()) if (!list.some((listed) => listed.id === room.id)) rooms.set(room.id, room);
      announced.clear();
      for (const room of list) rooms.set(room.id, room);
      renderRooms();
    },
    addRoom(room) {
      if (rooms.has(room.id)) return;
      announced.set(room.id, room);
      // Newest first, as the server lists them.
      const list = [room, ...rooms.values()];
      rooms.clear();
      for (const entry of list) rooms.set(entry.id, entry);
      renderRooms();
    },
    room: (id) => rooms.get(id),
    select(key) {
      selected = key;
      renderRooms();
      markThreads();
    },
    addThread(person, unread) {
      let thread = threads.get(person.id);
      if (!thread) {
        const item = el("button", { type: "button", class: "thread", "data-user-id": person.id }, fullName(person));
        item.addEventListener("click", () => handlers.openThread(person));
        threadList.prepend(el("li", {}, item));
        thread = { person, item };
        threads.set(person.id, thread);
      }
      if (unread && selected !== `dm:${person.id}`) thread.item.classList.add("unread");
      markThreads();
    },
  };
}
