/**
 * A small metrics registry written out in the Prometheus text exposition
 * format (version 0.0.4): counters and gauges with labels, and histograms
 * with cumulative buckets. `serve` keeps its request, error, latency and
 * batch-size metrics here and answers `GET /metrics` with `render()`.
 * Invariant: counters and histogram counts only grow.
 */

type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const keys = Object.keys(labels);
  if (!keys.length) return '';
  return `{${keys.map((k) => `${k}="${labels[k]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

function num(x: number): string {
  return Number.isFinite(x) ? String(x) : x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
}

interface Metric {
  render(): string[];
}

/** A counter or gauge, one value per label set. Example: `requests.inc({ code: '200' })`. */
export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' = 'counter',
  ) {}

  /** Adds `n` (default 1) to the value for `labels`. */
  inc(labels: Labels = {}, n = 1): void {
    const k = labelText(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + n);
  }

  /** Sets the value for `labels` (gauges). */
  set(value: number, labels: Labels = {}): void {
    this.values.set(labelText(labels), value);
  }

  /** The value for `labels` (0 when never set). */
  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels)) ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k} ${num(v)}`);
    return lines;
  }
}

/** A histogram with fixed upper bounds. Example: `latency.observe(0.004)`. */
export class Histogram implements Metric {
  private readonly counts: number[];
  private sum = 0;
  private total = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  /** Records one observation. */
  observe(x: number): void {
    this.sum += x;
    this.total++;
    for (let i = 0; i < this.bounds.length; i++) {
      if (x <= this.bounds[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }

  /** Observations so far. */
  get count(): number {
    return this.total;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    let acc = 0;
    this.bounds.forEach((b, i) => {
      acc += this.counts[i]!;
      lines.push(`${this.name}_bucket{le="${num(b)}"} ${acc}`);
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.total}`, `${this.name}_sum ${num(this.sum)}`, `${this.name}_count ${this.total}`);
    return lines;
  }
}

/**
 * Metrics in registration order, written as one Prometheus text document.
 *
 * ```ts
 * const reg = new Registry();
 * const req = reg.add(new Counter('gluonc_requests_total', 'HTTP requests answered'));
 * req.inc({ code: '200' });
 * reg.render(); // "# HELP gluonc_requests_total ...\n..."
 * ```
 */
export class Registry {
  private readonly metrics: Metric[] = [];
  private readonly collectors: (() => void)[] = [];

  /** Registers a metric and returns it. */
  add<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }

  /** Runs `f` before each render (to refresh gauges). */
  onCollect(f: () => void): void {
    this.collectors.push(f);
  }

  /** The text exposition (content type `text/plain; version=0.0.4`). */
  render(): string {
    for (const f of this.collectors) f();
    return `${this.metrics.flatMap((m) => m.render()).join('\n')}\n`;
  }
}
