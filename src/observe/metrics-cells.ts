/**
 * Counters and histograms whose hot path is a number going up. prom-client's own `inc`/`observe` validate and
 * hash the label set on every call (about half a microsecond each, even through a `labels()` child); here each
 * label set is a cell made once and kept by the caller, and prom-client reads the cells when it is scraped.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

type Labels<T extends string> = Record<T, string>;

export interface CountCell {
  value: number;
}

export interface HistogramCell {
  /** Observations per bucket, not cumulative; the last slot counts those above the highest bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A counter whose label sets are cells: `cell(labels).value += n`. */
export class CellCounter<T extends string> {
  private readonly cells: Array<[Labels<T>, CountCell]> = [];

  constructor(registry: Registry, name: string, help: string, labelNames: readonly T[]) {
    const cells = this.cells;
    new Counter<T>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, cell] of cells) this.inc(labels, cell.value);
      },
    });
  }

  /** A new cell for a label set: the caller keeps it (asking twice for one label set makes two series). */
  cell(labels: Labels<T>): CountCell {
    const cell = { value: 0 };
    this.cells.push([labels, cell]);
    return cell;
  }
}

/** Adds one observation to a histogram cell (`bounds` ascending, as the histogram was made with). */
export function observe(bounds: readonly number[], cell: HistogramCell, value: number): void {
  let i = 0;
  while (i < bounds.length && value > bounds[i]!) i++;
  cell.counts[i]!++;
  cell.sum += value;
  cell.count++;
}

/**
 * A histogram whose label sets are cells. prom-client renders it: the class is its Histogram with the figures
 * taken from the cells when scraped (its own per-call `observe` is not used).
 */
export class CellHistogram<T extends string> extends Histogram<T> {
  readonly bounds: readonly number[];
  private readonly cells: Array<[Labels<T>, HistogramCell]> = [];
  // Not `name`/`help`: prom-client's constructor sets those on the instance, and a field of that name would reset them.
  private readonly family: { name: string; help: string };

  constructor(registry: Registry, name: string, help: string, labelNames: readonly T[], buckets: readonly number[]) {
    super({ name, help, labelNames, buckets: [...buckets], registers: [registry] });
    this.bounds = [...buckets].sort((a, b) => a - b);
    this.family = { name, help };
  }

  /** A new cell for a label set: the caller keeps it (asking twice for one label set makes two series). */
  cell(labels: Labels<T>): HistogramCell {
    const cell: HistogramCell = { counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
    this.cells.push([labels, cell]);
    return cell;
  }

  observeCell(cell: HistogramCell, value: number): void {
    observe(this.bounds, cell, value);
  }

  /** What the registry renders (the shape prom-client's Histogram gives it). */
  async getForPromString() {
    return this.snapshot();
  }

  override async get(): ReturnType<Histogram<T>['get']> {
    // The values carry `le` beside the histogram's own labels, as prom-client's do.
    return this.snapshot() as unknown as Awaited<ReturnType<Histogram<T>['get']>>;
  }

  private snapshot() {
    const { name, help } = this.family;
    const bucket = `${name}_bucket`;
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const [labels, cell] of this.cells) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += cell.counts[i]!;
        values.push({ labels: { ...labels, le }, value: acc, metricName: bucket });
      });
      values.push({ labels: { ...labels, le: '+Inf' }, value: cell.count, metricName: bucket });
      values.push({ labels, value: cell.sum, metricName: `${name}_sum` });
      values.push({ labels, value: cell.count, metricName: `${name}_count` });
    }
    return { name, help, type: 'histogram' as const, values, aggregator: 'sum' as const, collect: () => undefined };
  }
}
