// Bounds a wait: the work's own result if it settles in time, else a rejection, so no caller hangs
// on a dependency that stopped answering. The work itself is not cancelled (it may still finish).
export class DeadlineError extends Error {
  override name = "DeadlineError";
  readonly code = "DEADLINE_EXCEEDED";
}

/** `work`, or a rejection with `error()` (a DeadlineError by default) after `ms`. */
export function withDeadline<T>(work: Promise<T>, ms: number, error: () => Error = () => new DeadlineError(`no answer within ${ms} ms`)): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), Math.max(0, ms));
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Waits for `work` until `deadline` (epoch ms); answers whether it settled in time (its failure counts as settled). */
export async function settledBy(work: Promise<unknown>, deadline: number): Promise<boolean> {
  const late = new DeadlineError("deadline passed");
  try {
    await withDeadline(work, deadline - Date.now(), () => late);
    return true;
  } catch (error) {
    return error !== late;
  }
}
