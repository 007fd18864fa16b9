// A cluster node in a child process (so a test can kill -9 it): spawned with `bun <script> <args>`,
// ready once it prints "listening on <url>" on stdout.
export type ChildNode = { url: string; process: ReturnType<typeof Bun.spawn> };

export async function spawnChildNode(script: string, args: string[]): Promise<ChildNode> {
  const child = Bun.spawn(["bun", script, ...args], { stdout: "pipe", stderr: "inherit" });
  const decoder = new TextDecoder();
  let seen = "";
  for await (const chunk of child.stdout) {
    seen += decoder.decode(chunk, { stream: true });
    const match = /listening on (http:\/\/\S+)/.exec(seen);
    if (match?.[1]) return { url: match[1], process: child };
  }
  throw new Error(`the child node exited before listening:\n${seen}`);
}
