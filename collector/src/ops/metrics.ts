type Labels = Record<string, string>;

const labelText = (labels: Labels) => {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`,
  );
  return parts.length ? `{${parts.join(',')}}` : '';
};

interface Series<T> {
  labels: Labels;
  value: T;
}

class Family<T> {
  readonly series = new Map<string, Series<T>>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly kind: 'counter' | 'histogram',
    private readonly init: () => T,
  ) {}
  at(labels: Labels): T {
    const key = labelText(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, value: this.init() };
      this.series.set(key, entry);
    }
    return entry.value;
  }
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/**
 * The collector's counters and sink latency in Prometheus text format. Hand-written because the
 * usual client library needs Node built-ins that edge runtimes lack.
 */
export class Metrics {
  private readonly counters = new Map<string, Family<{ n: number }>>();
  private readonly histograms = new Map<string, Family<Histogram>>();

  /** Adds `by` to a counter. */
  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    let family = this.counters.get(name);
    if (!family) {
      family = new Family(name, help, 'counter', () => ({ n: 0 }));
      this.counters.set(name, family);
    }
    family.at(labels).n += by;
  }

  /** Records one observation (seconds) in a histogram. */
  observe(name: string, help: string, labels: Labels, seconds: number): void {
    let family = this.histograms.get(name);
    if (!family) {
      family = new Family(name, help, 'histogram', () => ({
        counts: BUCKETS.map(() => 0),
        sum: 0,
        count: 0,
      }));
      this.histograms.set(name, family);
    }
    const h = family.at(labels);
    BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) h.counts[i] = (h.counts[i] ?? 0) + 1;
    });
    h.sum += seconds;
    h.count++;
  }

  /** Current value of a counter, for tests and the debugger. */
  value(name: string, labels: Labels = {}): number {
    return this.counters.get(name)?.series.get(labelText(labels))?.value.n ?? 0;
  }

  /** The exposition text served on /metrics. */
  render(): string {
    const lines: string[] = [];
    for (const family of this.counters.values()) {
      lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} counter`);
      for (const { labels, value } of family.series.values())
        lines.push(`${family.name}${labelText(labels)} ${value.n}`);
    }
    for (const family of this.histograms.values()) {
      lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} histogram`);
      for (const { labels, value } of family.series.values()) {
        BUCKETS.forEach((bound, i) => {
          lines.push(
            `${family.name}_bucket${labelText({ ...labels, le: String(bound) })} ${value.counts[i]}`,
          );
        });
        lines.push(`${family.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${value.count}`);
        lines.push(`${family.name}_sum${labelText(labels)} ${value.sum}`);
        lines.push(`${family.name}_count${labelText(labels)} ${value.count}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}
