// The open room's members with presence dots (online/offline from GET /api/users/:id, then
// user:status), a button to message each, and for a private room's admins the form that adds a
// participant (someone seen in the app, or a user id they were given).
import { el, fullName } from "./dom.ts";
import type { Participant, Person } from "./types.ts";

export type MembersPanel = {
  element: HTMLElement;
  show(participants: Participant[], canAdd: boolean): void;
  hide(): void;
  addMember(person: Person): void;
  setStatus(userId: string, status: "online" | "offline"): void;
  /** People seen anywhere, offered by the add form. */
  know(person: Person): void;
};

export type MembersHandlers = {
  message(person: Person): void;
  addParticipant(userId: string): Promise<void>;
};

export function createMembersPanel(myId: string, handlers: MembersHandlers): MembersPanel {
  const list = el("ul", { class: "member-list", "aria-label": "Members" });
  const status = new Map<string, "online" | "offline">();
  const rows = new Map<string, HTMLElement>();
  // Members announced by room:userJoined since the panel was last hidden: a participant list fetched
  // before they joined may arrive after the announcement, and must not drop them.
  const joined = new Map<string, Person>();
  const known = new Map<string, Person>();
  const picker = el("select", { "aria-label": "Person to add" });
  const userId = el("input", { placeholder: "or paste a user id", "aria-label": "User id to add" });
  const add = el("button", { type: "submit" }, "Add");
  const form = el("form", { class: "add-participant", hidden: true }, el("h3", {}, "Add a participant"), picker, userId, add);
  const element = el("aside", { class: "panel members-panel", "aria-label": "Members", hidden: true }, el("h2", {}, "Members"), list, form);

  function dot(id: string): HTMLElement {
    const state = status.get(id) ?? "offline";
    return el("span", { class: `dot ${state}`, title: state, "aria-label": state, role: "img" });
  }

  function row(person: Person, role: string): HTMLElement {
    const item = el("li", { class: "member", "data-user-id": person.id }, dot(person.id), el("span", { class: "name" }, fullName(person)));
    if (role === "admin") item.appendChild(el("span", { class: "badge" }, "admin"));
    if (person.id === myId) item.appendChild(el("span", { class: "badge" }, "you"));
    else {
      const button = el("button", { type: "button", class: "link" }, "Message");
      button.addEventListener("click", () => handlers.message(person));
      item.appendChild(button);
    }
    rows.set(person.id, item);
    return item;
  }

  function refreshPicker(): void {
    const options = [...known.values()].filter((person) => !rows.has(person.id)).map((person) => el("option", { value: person.id }, fullName(person)));
    picker.replaceChildren(el("option", { value: "" }, "Choose someone…"), ...options);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = userId.value.trim() || picker.value;
    if (id === "") return;
    add.disabled = true;
    handlers
      .addParticipant(id)
      .then(() => {
        userId.value = "";
      })
      .catch(() => {})
      .finally(() => {
        add.disabled = false;
      });
  });

  return {
    element,
    show(participants, canAdd) {
      rows.clear();
      const listed = new Set(participants.map((p) => p.user.id));
      const late = [...joined.values()].filter((person) => !listed.has(person.id));
      list.replaceChildren(...participants.map((p) => row(p.user, p.role)), ...late.map((person) => row(person, "member")));
      for (const p of participants) known.set(p.user.id, p.user);
      form.hidden = !canAdd;
      refreshPicker();
      element.hidden = false;
    },
    hide() {
      rows.clear();
      joined.clear();
      list.replaceChildren();
      element.hidden = true;
    },
    addMember(person) {
      known.set(person.id, person);
      joined.set(person.id, person);
      if (!rows.has(person.id)) list.appendChild(row(person, "member"));
      refreshPicker();
    },
    setStatus(id, state) {
      status.set(id, state);
      rows.get(id)?.querySelector(".dot")?.replaceWith(dot(id));
    },
    know(person) {
      if (known.has(person.id)) return;
      known.set(person.id, person);
      refreshPicker();
    },
  };
}
