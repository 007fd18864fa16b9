// One conversation's messages on screen: the newest page first, older pages as the person scrolls up
// (the REST cursor), live messages at the bottom. At most MAX_RENDERED stay in the DOM: reading far
// back drops the newest ones, and "Show latest" brings them back, so 5 000 messages never pile up.
import { el, fullName, timeOf } from "./dom.ts";
import type { Page, Person } from "./types.ts";

export type ListedMessage = { id: string; sender: Person; text: string; createdAt: string };

export const MAX_RENDERED = 300;
// Older messages load when the person scrolls this close to the top.
const LOAD_MARGIN_PX = 120;

export type MessageList = {
  element: HTMLElement;
  /** Shows a conversation from its newest page; `load(before)` fetches a page, newest first. */
  open(load: (before: string | undefined) => Promise<Page<ListedMessage>>): Promise<void>;
  /** A message that just arrived (ignored when it is already shown, or while older pages are read). */
  add(message: ListedMessage): void;
  clear(): void;
};

export function createMessageList(myId: string, onError: (error: unknown) => void): MessageList {
  const log = el("ol", { class: "messages", role: "log", "aria-live": "polite", "aria-label": "Messages" });
  const latest = el("button", { type: "button", class: "show-latest", hidden: true }, "Show latest messages");
  const element = el("div", { class: "message-area" }, log, latest);
  const shown = new Set<string>();
  let loader: ((before: string | undefined) => Promise<Page<ListedMessage>>) | undefined;
  let nextBefore: string | null = null;
  let loading = false;
  // True while the newest messages were dropped to keep the window small.
  let detached = false;
  let generation = 0;

  function render(message: ListedMessage): HTMLElement {
    const mine = message.sender.id === myId;
    return el(
      "li",
      { class: mine ? "message mine" : "message", "data-id": message.id },
      el("div", { class: "meta" }, el("span", { class: "sender" }, fullName(message.sender)), el("time", { datetime: message.createdAt }, timeOf(message.createdAt))),
      el("p", { class: "text" }, message.text),
    );
  }

  function nearBottom(): boolean {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }

  function reset(): void {
    generation += 1;
    log.replaceChildren();
    shown.clear();
    nextBefore = null;
    loading = false;
    detached = false;
    latest.hidden = true;
  }

  async function loadOlder(): Promise<void> {
    if (loading || loader === undefined || nextBefore === null) return;
    loading = true;
    const mine = generation;
    try {
      const page = await loader(nextBefore);
      if (mine !== generation) return;
      nextBefore = page.nextBefore;
      const before = log.scrollHeight;
      const fragment = document.createDocumentFragment();
      for (const message of [...page.messages].reverse()) {
        if (shown.has(message.id)) continue;
        shown.add(message.id);
        fragment.appendChild(render(message));
      }
      log.prepend(fragment);
      log.scrollTop += log.scrollHeight - before;
      trimNewest();
    } catch (error) {
      onError(error);
    } finally {
      if (mine === generation) loading = false;
    }
    if (mine === generation) fillView();
  }

  function trimNewest(): void {
    while (log.children.length > MAX_RENDERED) {
      const last = log.lastElementChild;
      if (!(last instanceof HTMLElement)) break;
      shown.delete(last.dataset.id ?? "");
      last.remove();
      detached = true;
    }
    latest.hidden = !detached;
  }

  // A long live chat drops its oldest messages; scrolling up fetches them again from the first one kept.
  function trimOldest(): void {
    while (log.children.length > MAX_RENDERED * 2) {
      const first = log.firstElementChild;
      if (!(first instanceof HTMLElement)) break;
      shown.delete(first.dataset.id ?? "");
      first.remove();
    }
    const kept = log.firstElementChild;
    if (kept instanceof HTMLElement && log.children.length >= MAX_RENDERED * 2 && kept.dataset.id) nextBefore = kept.dataset.id;
  }

  // A first page shorter than the view gives no scroll bar to pull: keep loading until it has one.
  function fillView(): void {
    if (log.scrollHeight <= log.clientHeight + LOAD_MARGIN_PX && nextBefore !== null) void loadOlder();
  }

  async function open(load: (before: string | undefined) => Promise<Page<ListedMessage>>): Promise<void> {
    reset();
    loader = load;
    const mine = generation;
    loading = true;
    try {
      const page = await load(undefined);
      if (mine !== generation) return;
      nextBefore = page.nextBefore;
      for (const message of [...page.messages].reverse()) {
        if (shown.has(message.id)) continue;
        shown.add(message.id);
        log.appendChild(render(message));
      }
      log.scrollTop = log.scrollHeight;
    } catch (error) {
      onError(error);
    } finally {
      if (mine === generation) loading = false;
    }
    if (mine === generation) fillView();
  }

  log.addEventListener("scroll", () => {
    if (log.scrollTop < LOAD_MARGIN_PX) void loadOlder();
  });
  latest.addEventListener("click", () => {
    if (loader !== undefined) void open(loader);
  });

  return {
    element,
    open,
    add(message) {
      if (shown.has(message.id)) return;
      if (detached) {
        latest.textContent = "New messages: show latest";
        return;
      }
      const follow = nearBottom() || message.sender.id === myId;
      shown.add(message.id);
      log.appendChild(render(message));
      trimOldest();
      if (follow) log.scrollTop = log.scrollHeight;
    },
    clear() {
      reset();
      loader = undefined;
    },
  };
}
