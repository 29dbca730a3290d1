/** Median and quartiles of a sample, the only summary the harness reports. */
export interface Summary {
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/** Linear-interpolated quantile (the R-7 / numpy default), `q` in [0, 1]. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const lowValue = sorted[low]!;
  return lowValue + (sorted[high]! - lowValue) * (position - low);
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    n: sorted.length,
  };
}

/** Element-wise `f(a[i], b[i])` over two round-aligned series. */
export function zipWith(a: readonly number[], b: readonly number[], f: (x: number, y: number) => number): number[] {
  if (a.length !== b.length) throw new Error(`series of different lengths (${a.length} vs ${b.length})`);
  return a.map((x, i) => f(x, b[i]!));
}
