// The web app's entry: shows the sign-in screen or, with a session in this tab, the chat; signing
// out (by the person, or because the server refused or expired the token) returns to sign-in with why.
import { createApi } from "./api.ts";
import { authView } from "./auth-view.ts";
import { chatApp, type ChatApp } from "./chat-app.ts";
import { forgetSession, loadSession, saveSession, type Session } from "./session.ts";

const root = document.getElementById("app");
let session = loadSession();
let app: ChatApp | undefined;
const api = createApi(
  () => session?.token,
  (message) => signOut(message),
);

function signOut(message?: string): void {
  // Several requests may be refused at once: the first one signs out.
  if (session === undefined) return;
  app?.close();
  app = undefined;
  session = undefined;
  forgetSession();
  show(message);
}

function signIn(next: Session): void {
  session = next;
  saveSession(next);
  show(undefined);
}

function show(notice: string | undefined): void {
  if (!root) return;
  if (session === undefined) {
    root.replaceChildren(authView(api, notice, signIn));
    document.title = "StudyConnect: sign in";
    return;
  }
  app = chatApp(api, session, signOut);
  root.replaceChildren(app.element);
  document.title = "StudyConnect";
}

show(undefined);
