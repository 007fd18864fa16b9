// The signed-out screen: sign in or create an account; the server's message (wrong password,
// email taken, rate limited) is shown under the form, and so is why the last session ended.
import { ApiError, type Api } from "./api.ts";
import { el } from "./dom.ts";
import type { Session } from "./session.ts";

export function authView(api: Api, notice: string | undefined, onSignedIn: (session: Session) => void): HTMLElement {
  const message = el("p", { class: "form-error", role: "alert" }, notice ?? "");
  const email = el("input", { name: "email", type: "email", autocomplete: "email", required: true, "aria-label": "Email" });
  const password = el("input", { name: "password", type: "password", autocomplete: "current-password", required: true, minlength: "8", "aria-label": "Password" });
  const firstName = el("input", { name: "firstName", autocomplete: "given-name", "aria-label": "First name" });
  const lastName = el("input", { name: "lastName", autocomplete: "family-name", "aria-label": "Last name" });
  const nameFields = el("div", { class: "name-fields", hidden: true }, label("First name", firstName), label("Last name", lastName));
  const submit = el("button", { type: "submit" }, "Sign in");
  const toggle = el("button", { type: "button", class: "link" }, "New here? Create an account");
  const title = el("h2", {}, "Sign in");
  let signingUp = false;

  toggle.addEventListener("click", () => {
    signingUp = !signingUp;
    nameFields.hidden = !signingUp;
    firstName.required = signingUp;
    lastName.required = signingUp;
    password.autocomplete = signingUp ? "new-password" : "current-password";
    title.textContent = signingUp ? "Create an account" : "Sign in";
    submit.textContent = signingUp ? "Create account" : "Sign in";
    toggle.textContent = signingUp ? "Have an account? Sign in" : "New here? Create an account";
    message.textContent = "";
  });

  const form = el("form", { class: "auth-form" }, title, label("Email", email), label("Password", password), nameFields, message, submit, toggle);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    message.textContent = "";
    const request = signingUp
      ? api.register({ email: email.value, password: password.value, firstName: firstName.value, lastName: lastName.value })
      : api.login({ email: email.value, password: password.value });
    request
      .then((session) => onSignedIn(session))
      .catch((error: unknown) => {
        message.textContent = error instanceof ApiError ? error.message : "Something went wrong. Try again.";
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  return el("main", { class: "auth" }, el("h1", {}, "StudyConnect"), el("p", { class: "tagline" }, "Study rooms, chat and direct messages."), form);
}

function label(text: string, input: HTMLElement): HTMLElement {
  return el("label", {}, el("span", {}, text), input);
}
