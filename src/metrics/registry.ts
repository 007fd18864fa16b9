// A tiny metrics registry: counters, gauges and histograms with fixed label names, rendered in the
// Prometheus text format. A labelled child is looked up once and kept by its user, so counting on
// the hot path is one addition; figures someone else already keeps are read by a collector at
// scrape time instead of being mirrored.
import { checkNames, familyHeader, formatValue, labelSet } from "./exposition.ts";

type Family = { name: string; render(): string };

/** Reports current values at scrape time: call `set(value, ...labelValues)` once per series. */
export type Collect = (set: (value: number, ...labelValues: string[]) => void) => void;

export class Registry {
  private readonly families: Family[] = [];
  private readonly names = new Set<string>();

  private add<F extends Family>(family: F): F {
    if (this.names.has(family.name)) throw new Error(`metric registered twice: ${family.name}`);
    this.names.add(family.name);
    this.families.push(family);
    return family;
  }

  /** A counter; its name must end in `_total` (the format's convention for counters). */
  counter(name: string, help: string, labelNames: readonly string[] = [], collect?: Collect): Counter {
    if (!name.endsWith("_total")) throw new Error(`a counter's name ends in _total: ${name}`);
    return this.add(new Counter(name, help, labelNames, collect));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = [], collect?: Collect): Gauge {
    return this.add(new Gauge(name, help, labelNames, collect));
  }

  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): Histogram {
    return this.add(new Histogram(name, help, buckets, labelNames));
  }

  /** Every family in registration order, in the text format. */
  render(): string {
    return this.families.map((family) => family.render()).join("");
  }
}

type Cell = { labelValues: readonly string[]; value: number };

/** Counters and gauges: one number per label set, plus whatever the collector reports. */
abstract class ScalarFamily {
  private readonly cells = new Map<string, Cell>();
  protected abstract readonly type: "counter" | "gauge";

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly collect: Collect | undefined,
  ) {
    checkNames(name, labelNames);
  }

  protected cell(labelValues: readonly string[]): Cell {
    if (labelValues.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes ${this.labelNames.length} label values, got ${labelValues.length}`);
    }
    const key = labelValues.join("\u0000");
    let cell = this.cells.get(key);
    if (!cell) this.cells.set(key, (cell = { labelValues: [...labelValues], value: 0 }));
    return cell;
  }

  render(): string {
    let out = familyHeader(this.name, this.help, this.type);
    for (const cell of this.cells.values()) out += `${this.name}${labelSet(this.labelNames, cell.labelValues)} ${formatValue(cell.value)}\n`;
    this.collect?.((value, ...labelValues) => {
      out += `${this.name}${labelSet(this.labelNames, labelValues)} ${formatValue(value)}\n`;
    });
    return out;
  }
}

export type CounterChild = { inc(by?: number): void };

export class Counter extends ScalarFamily {
  protected readonly type = "counter";

  /** The series for these label values (keep it: looking it up again costs a Map access). */
  labels(...labelValues: string[]): CounterChild {
    const cell = this.cell(labelValues);
    return {
      inc(by = 1) {
        // A counter only goes up: a negative step is a bug in the caller, and ignored.
        if (by > 0) cell.value += by;
      },
    };
  }

  private unlabelled: CounterChild | undefined;

  /** For a counter without labels. */
  inc(by = 1): void {
    (this.unlabelled ??= this.labels()).inc(by);
  }
}

export type GaugeChild = { set(value: number): void; inc(by?: number): void; dec(by?: number): void };

export class Gauge extends ScalarFamily {
  protected readonly type = "gauge";

  labels(...labelValues: string[]): GaugeChild {
    const cell = this.cell(labelValues);
    return {
      set: (value) => void (cell.value = value),
      inc: (by = 1) => void (cell.value += by),
      dec: (by = 1) => void (cell.value -= by),
    };
  }

  private unlabelled: GaugeChild | undefined;

  /** For a gauge without labels. */
  set(value: number): void {
    (this.unlabelled ??= this.labels()).set(value);
  }
}

export type HistogramChild = { observe(value: number): void };

type HistogramCell = { labelValues: readonly string[]; counts: Float64Array; sum: number; count: number };

export class Histogram {
  private readonly cells = new Map<string, HistogramCell>();
  private readonly bounds: readonly number[];

  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
    readonly labelNames: readonly string[],
  ) {
    checkNames(name, labelNames);
    this.bounds = [...new Set(buckets)].filter(Number.isFinite).sort((a, b) => a - b);
    if (this.bounds.length === 0) throw new Error(`${name} needs at least one finite bucket`);
  }

  labels(...labelValues: string[]): HistogramChild {
    if (labelValues.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes ${this.labelNames.length} label values, got ${labelValues.length}`);
    }
    const key = labelValues.join("\u0000");
    let cell = this.cells.get(key);
    if (!cell) {
      // One slot per bound and one for +Inf; kept per bucket, summed up when rendered.
      cell = { labelValues: [...labelValues], counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.cells.set(key, cell);
    }
    const target = cell;
    const bounds = this.bounds;
    return {
      observe(value) {
        if (Number.isNaN(value)) return;
        let i = 0;
        while (i < bounds.length && value > (bounds[i] ?? Infinity)) i++;
        target.counts[i] = (target.counts[i] ?? 0) + 1;
        target.sum += value;
        target.count++;
      },
    };
  }

  private unlabelled: HistogramChild | undefined;

  /** For a histogram without labels. */
  observe(value: number): void {
    (this.unlabelled ??= this.labels()).observe(value);
  }

  render(): string {
    let out = familyHeader(this.name, this.help, "histogram");
    const names = [...this.labelNames, "le"];
    for (const cell of this.cells.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += cell.counts[i] ?? 0;
        out += `${this.name}_bucket${labelSet(names, [...cell.labelValues, formatValue(bound)])} ${cumulative}\n`;
      });
      out += `${this.name}_bucket${labelSet(names, [...cell.labelValues, "+Inf"])} ${cell.count}\n`;
      const plain = labelSet(this.labelNames, cell.labelValues);
      out += `${this.name}_sum${plain} ${formatValue(cell.sum)}\n`;
      out += `${this.name}_count${plain} ${cell.count}\n`;
    }
    return out;
  }
}
