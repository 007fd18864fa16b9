// Messages for the person: the server's error messages (ack errors, REST failures) and other news,
// shown in a live region until dismissed or a few seconds pass, never swallowed.
import { ApiError } from "./api.ts";
import { el } from "./dom.ts";
import { RealtimeError } from "./realtime.ts";

const SHOWN_MS = 8_000;

export type Notices = { element: HTMLElement; error(error: unknown): void; info(text: string): void };

export function messageOf(error: unknown): string {
  if (error instanceof ApiError || error instanceof RealtimeError) return error.message;
  return "Something went wrong. Try again.";
}

export function createNotices(): Notices {
  const element = el("div", { class: "notices", role: "alert", "aria-live": "assertive" });
  function show(text: string, kind: "error" | "info"): void {
    const close = el("button", { type: "button", class: "dismiss", "aria-label": "Dismiss" }, "×");
    const item = el("div", { class: `notice ${kind}` }, el("span", {}, text), close);
    close.addEventListener("click", () => item.remove());
    element.appendChild(item);
    setTimeout(() => item.remove(), SHOWN_MS);
  }
  return {
    element,
    error: (error) => show(messageOf(error), "error"),
    info: (text) => show(text, "info"),
  };
}
