// Password hashing with Bun.password (argon2id). The cost is a constructor parameter so tests can
// use a cheap one; production keeps Bun's defaults (64 MiB, 2 passes).
export type PasswordHashingCost = { memoryCost: number; timeCost: number };

export type PasswordHasher = {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
};

export const DEFAULT_PASSWORD_COST: PasswordHashingCost = { memoryCost: 65536, timeCost: 2 };

export function createPasswordHasher(cost: PasswordHashingCost = DEFAULT_PASSWORD_COST): PasswordHasher {
  return {
    hash: (password) => Bun.password.hash(password, { algorithm: "argon2id", ...cost }),
    // The parameters are read from the stored hash, so changing the cost never locks anyone out.
    verify: (password, hash) => Bun.password.verify(password, hash, "argon2id"),
  };
}
