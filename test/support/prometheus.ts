// Reads the Prometheus text exposition format (0.0.4) the way a scraper does, strictly enough to
// catch what Prometheus would refuse: every sample belongs to a family announced by # HELP and
// # TYPE, label values are unescaped, values parse as floats. Tests then look series up by labels.

export type Sample = { name: string; labels: Record<string, string>; value: number };
export type Family = { name: string; help: string; type: string };
export type Scrape = { families: Map<string, Family>; samples: Sample[] };

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;

function unescapeLabel(raw: string): string {
  return raw.replace(/\\(.)/g, (_m, c: string) => (c === "n" ? "\n" : c));
}

function parseValue(raw: string): number {
  if (raw === "+Inf") return Infinity;
  if (raw === "-Inf") return -Infinity;
  if (raw === "NaN") return NaN;
  const value = Number(raw);
  if (raw.trim() === "" || Number.isNaN(value)) throw new Error(`not a number: ${raw}`);
  return value;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const start = LABEL.lastIndex;
    const match = LABEL.exec(text);
    if (!match || match.index !== start) throw new Error(`bad label set: {${text}}`);
    labels[match[1] as string] = unescapeLabel(match[2] as string);
  }
  return labels;
}

/** The family a sample name belongs to (histogram samples carry _bucket/_sum/_count). */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(name);
  if (direct) return direct;
  const base = name.replace(/_(bucket|sum|count)$/, "");
  const family = families.get(base);
  return family?.type === "histogram" ? family : undefined;
}

export function parseExposition(text: string): Scrape {
  const families = new Map<string, Family>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  if (text !== "" && !text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("# HELP ")) {
      const [, name = "", ...rest] = line.split(" ").slice(1);
      help.set(name, rest.join(" "));
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [name = "", type = ""] = line.slice(7).split(" ");
      if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(type)) throw new Error(`bad type: ${line}`);
      if (families.has(name)) throw new Error(`family announced twice: ${name}`);
      families.set(name, { name, help: help.get(name) ?? "", type });
      continue;
    }
    if (line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`bad sample line: ${line}`);
    const name = match[1] as string;
    if (!familyOf(name, families)) throw new Error(`sample without # TYPE: ${line}`);
    samples.push({ name, labels: match[3] ? parseLabels(match[3]) : {}, value: parseValue(match[4] as string) });
  }
  return { families, samples };
}

/** Samples named `name` whose labels include `labels`. */
export function series(scrape: Scrape, name: string, labels: Record<string, string> = {}): Sample[] {
  return scrape.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one sample of `name` with exactly the given labels' values (0 when there is none). */
export function valueOf(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  const found = series(scrape, name, labels);
  if (found.length > 1) throw new Error(`${found.length} series match ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}
