// Reading the app's Prometheus metrics as an operator does: the /metrics text, summed over the series
// whose labels match.

/**
 * The sum of the samples of `name` in a Prometheus text exposition whose labels include `labels`
 * (a metric without labels matches only an empty `labels`); 0 when there is none.
 */
export function sumMetric(text: string, name: string, labels: Partial<Record<string, string>> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const series = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => series[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

/** `sumMetric` of the app at `url` (its GET /metrics). */
export async function readMetric(
  url: string,
  name: string,
  labels: Partial<Record<string, string>> = {},
): Promise<number> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  return sumMetric(await res.text(), name, labels);
}
