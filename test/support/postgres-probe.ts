// Whether a Postgres answers, asked once per URL per test process (a `bun run test` worker runs many
// files, and each new connection costs the server ~25 ms of CPU), and the one line a suite that needs
// it prints when it does not, so skipped tests say why.
import postgres from "postgres";

const answers = new Map<string, Promise<boolean>>();

/** True when `url` answers `select 1` within 5 s (a busy machine is slow to connect; a refusal is immediate). */
export function postgresAnswersAt(url: string): Promise<boolean> {
  let answer = answers.get(url);
  if (!answer) {
    answer = (async () => {
      const probe = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
      try {
        await probe`select 1`;
        return true;
      } catch {
        return false;
      } finally {
        await probe.end({ timeout: 0 });
      }
    })();
    answers.set(url, answer);
  }
  return answer;
}

/** `postgresAnswersAt(url)`, printing why `suite` is skipped when it does not answer. */
export async function postgresOrSkip(suite: string, url: string): Promise<boolean> {
  const there = await postgresAnswersAt(url);
  if (!there) console.warn(`skipping ${suite}: no Postgres at ${new URL(url).host}`);
  return there;
}
