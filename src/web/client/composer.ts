// The message box: Enter sends, Shift+Enter starts a new line; typing starts and stops the typing
// indicator (a start at most every few seconds while keys come, a stop after a pause or on send).
import { el } from "./dom.ts";

const TYPING_REPEAT_MS = 2_500;
const TYPING_IDLE_MS = 3_000;

export type Composer = {
  element: HTMLElement;
  setEnabled(enabled: boolean, placeholder: string): void;
  /** Ends the typing indicator now (switching conversations). */
  stopTyping(): void;
};

export type ComposerHandlers = {
  /** Sends the text; the box is restored when the promise rejects. */
  send(text: string): Promise<void>;
  typing(isTyping: boolean): void;
};

export function createComposer(handlers: ComposerHandlers): Composer {
  const input = el("textarea", { rows: "1", maxlength: "4000", "aria-label": "Message", disabled: true });
  const button = el("button", { type: "submit", disabled: true }, "Send");
  const form = el("form", { class: "composer" }, input, button);
  let typingSince: number | undefined;
  let idle: ReturnType<typeof setTimeout> | undefined;

  function stopTyping(): void {
    if (idle !== undefined) clearTimeout(idle);
    idle = undefined;
    if (typingSince === undefined) return;
    typingSince = undefined;
    handlers.typing(false);
  }

  function submit(): void {
    const text = input.value.trim();
    if (text === "") return;
    stopTyping();
    input.value = "";
    handlers.send(text).catch(() => {
      if (input.value === "") input.value = text;
    });
  }

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", () => {
    if (input.value.trim() === "") return stopTyping();
    const now = Date.now();
    if (typingSince === undefined || now - typingSince > TYPING_REPEAT_MS) {
      typingSince = now;
      handlers.typing(true);
    }
    if (idle !== undefined) clearTimeout(idle);
    idle = setTimeout(stopTyping, TYPING_IDLE_MS);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });

  return {
    element: form,
    setEnabled(enabled, placeholder) {
      input.disabled = !enabled;
      button.disabled = !enabled;
      input.placeholder = placeholder;
    },
    stopTyping,
  };
}
