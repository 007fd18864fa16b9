// The registry's text format, line by line: HELP and TYPE, counters ending in _total, histograms
// with cumulative buckets up to +Inf plus _sum and _count, escaping of help and label values, and
// collectors read at render time. The output is also read back by the test's own parser.
import { describe, expect, test } from "bun:test";
import { Registry } from "../../src/metrics/registry.ts";
import { parseExposition, valueOf } from "../support/prometheus.ts";

describe("metrics registry", () => {
  test("a labelled counter renders HELP, TYPE and one line per label set; negative steps are ignored", () => {
    const registry = new Registry();
    const requests = registry.counter("app_requests_total", "Requests served.", ["method"]);
    const get = requests.labels("GET");
    get.inc();
    get.inc(2);
    get.inc(-5);
    requests.labels("POST").inc();
    expect(registry.render()).toBe(
      ["# HELP app_requests_total Requests served.", "# TYPE app_requests_total counter", 'app_requests_total{method="GET"} 3', 'app_requests_total{method="POST"} 1', ""].join("\n"),
    );
  });

  test("a counter's name must end in _total, and names Prometheus refuses are refused", () => {
    const registry = new Registry();
    expect(() => registry.counter("app_requests", "x")).toThrow("_total");
    expect(() => registry.gauge("app-bad", "x")).toThrow("invalid metric name");
    expect(() => registry.gauge("app_ok", "x", ["le"])).toThrow("invalid label name");
    registry.gauge("app_once", "x");
    expect(() => registry.gauge("app_once", "x")).toThrow("registered twice");
  });

  test("label values escape backslash, double quote and newline; help escapes backslash and newline", () => {
    const registry = new Registry();
    registry.gauge("app_odd", 'Help with a \\ backslash\nand a "quote".', ["value"]).labels('a"b\\c\nd').set(1);
    const text = registry.render();
    expect(text).toContain('# HELP app_odd Help with a \\\\ backslash\\nand a "quote".\n');
    expect(text).toContain('app_odd{value="a\\"b\\\\c\\nd"} 1\n');
    expect(valueOf(parseExposition(text), "app_odd", { value: 'a"b\\c\nd' })).toBe(1);
  });

  test("a histogram's buckets are cumulative, end with +Inf, and come with _sum and _count", () => {
    const registry = new Registry();
    const sizes = registry.histogram("app_sizes", "Sizes.", [10, 1, 5]);
    for (const value of [0, 1, 3, 5, 7, 100]) sizes.observe(value);
    expect(registry.render()).toBe(
      [
        "# HELP app_sizes Sizes.",
        "# TYPE app_sizes histogram",
        'app_sizes_bucket{le="1"} 2',
        'app_sizes_bucket{le="5"} 4',
        'app_sizes_bucket{le="10"} 5',
        'app_sizes_bucket{le="+Inf"} 6',
        "app_sizes_sum 116",
        "app_sizes_count 6",
        "",
      ].join("\n"),
    );
  });

  test("a labelled histogram puts le after its own labels", () => {
    const registry = new Registry();
    registry.histogram("app_seconds", "Time.", [0.5], ["op"]).labels("read").observe(0.25);
    const scrape = parseExposition(registry.render());
    expect(valueOf(scrape, "app_seconds_bucket", { op: "read", le: "0.5" })).toBe(1);
    expect(valueOf(scrape, "app_seconds_bucket", { op: "read", le: "+Inf" })).toBe(1);
    expect(valueOf(scrape, "app_seconds_sum", { op: "read" })).toBe(0.25);
    expect(valueOf(scrape, "app_seconds_count", { op: "read" })).toBe(1);
  });

  test("a collector reports current values at each render", () => {
    const registry = new Registry();
    let open = 3;
    registry.gauge("app_open", "Open things.", ["kind"], (set) => {
      set(open, "a");
      set(open * 2, "b");
    });
    expect(valueOf(parseExposition(registry.render()), "app_open", { kind: "b" })).toBe(6);
    open = 4;
    const scrape = parseExposition(registry.render());
    expect(valueOf(scrape, "app_open", { kind: "a" })).toBe(4);
    expect(valueOf(scrape, "app_open", { kind: "b" })).toBe(8);
  });

  test("special values render as Prometheus spells them", () => {
    const registry = new Registry();
    const gauge = registry.gauge("app_special", "x", ["v"]);
    gauge.labels("nan").set(NaN);
    gauge.labels("inf").set(Infinity);
    gauge.labels("neg").set(-Infinity);
    const text = registry.render();
    expect(text).toContain('app_special{v="nan"} NaN\n');
    expect(text).toContain('app_special{v="inf"} +Inf\n');
    expect(text).toContain('app_special{v="neg"} -Inf\n');
  });
});
