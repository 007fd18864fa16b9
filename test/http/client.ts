// A small JSON client for the REST tests: requests with an optional bearer token, answers as
// status plus parsed envelope, and accounts signed up over HTTP in one line.
import { expect } from "bun:test";
import type { SignedIn } from "../../src/chat/accounts.ts";
import type { TestServer } from "../support/server.ts";
import { TEST_PASSWORD, uniqueEmail } from "../support/chat.ts";

/** A domain type as it travels in JSON: dates become ISO strings. */
export type Wire<T> = T extends Date ? string : T extends (infer U)[] ? Wire<U>[] : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;

/** `data` is typed by the caller (what the endpoint promises); the assertions check it. */
export type Reply<T = unknown> = { status: number; body: { success: boolean; data: T; message?: string; error?: string } };

export type RequestOptions = { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> };

export type Client = {
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<Reply<T>>;
  get<T = unknown>(path: string, token?: string): Promise<Reply<T>>;
  post<T = unknown>(path: string, body: unknown, token?: string): Promise<Reply<T>>;
};

export function clientFor(server: TestServer): Client {
  const request = async <T>(method: string, path: string, options: RequestOptions = {}): Promise<Reply<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    const response = await fetch(`${server.url}${path}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) };
  };
  return {
    request,
    get: <T>(path: string, token?: string) => request<T>("GET", path, { token }),
    post: <T>(path: string, body: unknown, token?: string) => request<T>("POST", path, { token, body }),
  };
}

export type SignedUp = { token: string; id: string; email: string };

export async function signUp(client: Client, firstName = "Ada"): Promise<SignedUp> {
  const email = uniqueEmail(firstName.toLowerCase());
  const reply = await client.post<Wire<SignedIn>>("/api/auth/register", { email, password: TEST_PASSWORD, firstName, lastName: "Tester" });
  expect(reply.status).toBe(201);
  return { token: reply.body.data.token, id: reply.body.data.user.id, email };
}

/** The failure envelope, checked to be exactly the seed's shape. */
export function expectFailure(reply: Reply<unknown>, status: number, error: string, message?: string): void {
  expect({ status: reply.status, error: reply.body.error, success: reply.body.success }).toEqual({ status, error, success: false });
  expect(Object.keys(reply.body).sort()).toEqual(["error", "message", "success"]);
  if (message !== undefined) expect(reply.body.message).toBe(message);
}
