// Accounts: registration, login and "who am I". Login answers the same error, after the same work,
// for an unknown email and a wrong password, so neither the message nor the timing reveals accounts.
import { DuplicateEmailError, InvalidCredentialsError, NotFoundError } from "./errors.ts";
import type { PasswordHasher, TokenService, UserStore } from "./ports.ts";
import { checkEmail, checkPassword, checkText, LIMITS, orInvalid } from "./rules.ts";
import type { User, UserWithPassword } from "./types.ts";

export type RegisterInput = { email: unknown; password: unknown; firstName: unknown; lastName: unknown };
export type LoginInput = { email: unknown; password: unknown };
export type SignedIn = { token: string; user: User };

export type AccountsDeps = { users: UserStore; passwords: PasswordHasher; tokens: TokenService };
export type Accounts = ReturnType<typeof createAccounts>;

// Verified against when the email is unknown, so that path costs one hash verification too.
const DUMMY_PASSWORD = "not-a-real-password-only-for-timing";

export function createAccounts({ users, passwords, tokens }: AccountsDeps) {
  let dummyHash: Promise<string> | undefined;

  async function signIn(user: User): Promise<SignedIn> {
    const { token } = await tokens.issue(user.id);
    return { token, user };
  }

  return {
    async register(input: RegisterInput): Promise<SignedIn> {
      const email = orInvalid(checkEmail(input.email));
      const password = orInvalid(checkPassword(input.password));
      const firstName = orInvalid(checkText("firstName", input.firstName, LIMITS.personNameMax));
      const lastName = orInvalid(checkText("lastName", input.lastName, LIMITS.personNameMax));
      // Never from the request: a self-registered account is a student.
      const created = await users.create({ email, passwordHash: await passwords.hash(password), firstName, lastName, role: "student" });
      if (!created.ok) throw new DuplicateEmailError();
      return signIn(created.user);
    },

    async login(input: LoginInput): Promise<SignedIn> {
      const email = checkEmail(input.email);
      const password = typeof input.password === "string" ? input.password : "";
      const account = email.ok ? await users.findByEmail(email.value) : undefined;
      if (!account) {
        dummyHash ??= passwords.hash(DUMMY_PASSWORD);
        await passwords.verify(password, await dummyHash);
        throw new InvalidCredentialsError();
      }
      if (!(await passwords.verify(password, account.passwordHash))) throw new InvalidCredentialsError();
      return signIn(withoutPassword(account));
    },

    async me(userId: string): Promise<User> {
      const user = await users.findById(userId);
      if (!user) throw new NotFoundError("User not found");
      return user;
    },
  };
}

function withoutPassword({ passwordHash: _, ...user }: UserWithPassword): User {
  return user;
}
