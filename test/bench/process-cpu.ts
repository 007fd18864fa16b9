// CPU time a process has used (user + system, all its threads) from /proc/<pid>/stat, and how often
// its main thread (the event loop) went to sleep and woke up: benchmarks report both per unit of
// work, which a machine shared with other jobs distorts far less than wall time.
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc's utime/stime (USER_HZ: 100 on Linux, whatever the kernel's HZ). */
const TICKS_PER_S = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

/** User and system CPU time of a process so far, in ms (a clock tick is 10 ms); undefined once it is gone. */
export function processCpuMs(pid: number): { user: number; system: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces: the fields after it are counted from its ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = (index: number) => Number(fields[index]) * (1000 / TICKS_PER_S);
  return { user: ticks(11), system: ticks(12) };
}

/** Voluntary context switches of a process' main thread (each a sleep of its event loop); undefined once it is gone. */
export function mainThreadSleeps(pid: number): number | undefined {
  try {
    return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);
  } catch {
    return undefined;
  }
}

export type CpuUse = { userMs: number; systemMs: number; sleeps: number };
export type CpuMeter = { stop(): CpuUse };

/** Starts counting a process' CPU time and sleeps; `stop` answers what it used since (NaN when it is gone: it died). */
export function meterCpu(pid: number): CpuMeter {
  const before = processCpuMs(pid);
  const sleepsBefore = mainThreadSleeps(pid);
  return {
    stop() {
      const after = processCpuMs(pid);
      const sleepsAfter = mainThreadSleeps(pid);
      if (!before || !after || sleepsBefore === undefined || sleepsAfter === undefined) return { userMs: NaN, systemMs: NaN, sleeps: NaN };
      return { userMs: after.user - before.user, systemMs: after.system - before.system, sleeps: sleepsAfter - sleepsBefore };
    },
  };
}
