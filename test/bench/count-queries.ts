// Preloaded into a bench app (`node --import tsx --import ./test/bench/count-queries.ts`): counts what the
// app sends to PostgreSQL through node-postgres. `statements`: every `Client#query`. `roundTrips`: the
// times a client starts work with nothing in flight (a query awaited before the next is sent costs one
// each; a pipelined transaction, queued at once, costs one in all). On SIGUSR2 the counts so far are
// written as JSON to the file named by COUNT_QUERIES_FILE.
import { writeFileSync } from 'node:fs';
import pg from 'pg';

const counts = { roundTrips: 0, statements: 0, byText: {} as Record<string, number> };
const inFlight = new WeakMap<object, number>();
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const n = inFlight.get(this) ?? 0;
  if (n === 0) counts.roundTrips++;
  inFlight.set(this, n + 1);
  const done = () => inFlight.set(this, (inFlight.get(this) ?? 1) - 1);
  counts.statements++;
  const first = args[0] as { text?: string } | string | undefined;
  const text = typeof first === 'string' ? first : (first?.text ?? '(other)');
  // Only the head is normalised: a regex over every statement's whole text (persist's run to kilobytes) cost
  // the measured app about 3% of its CPU (perf), and cost.ts charges the app with it.
  const head = text.slice(0, 400).replace(/\s+/g, ' ').slice(0, 60);
  counts.byText[head] = (counts.byText[head] ?? 0) + 1;
  const callbackAt = args.findIndex((a) => typeof a === 'function');
  if (callbackAt >= 0) {
    const callback = args[callbackAt] as (...r: unknown[]) => unknown;
    args[callbackAt] = (...r: unknown[]) => {
      done();
      return callback(...r);
    };
    return query.apply(this, args);
  }
  const result = query.apply(this, args);
  if (result instanceof Promise) result.then(done, done);
  else done();
  return result;
} as typeof pg.Client.prototype.query;

const file = process.env.COUNT_QUERIES_FILE;
if (file) process.on('SIGUSR2', () => writeFileSync(file, JSON.stringify(counts)));
