// Property: whatever goes into any field of any route — random Unicode (NUL, unpaired surrogates,
// control characters), instants of every shape (years 0000–10000+, 30 February, offsets past ±23:59),
// numbers of every size — the answer is never a 5xx, and a 400 names the field it is about.
//
// The routes and their fields come from the server itself (`server.table()` and each route's joi
// schemas: params, query, payload, headers), so a new route or field is fuzzed without editing this
// file. Every request is otherwise valid (required fields filled from the schema's own description), so
// the fuzzed value reaches the handler, the decider and the database when validation lets it through.
// Runs on PGlite through `server.inject`; FUZZ_RUNS (default 8) values per field keep it to seconds.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Server, RequestRoute, ServerInjectOptions } from '@hapi/hapi';
import type { Description } from 'joi';
import { startTestApp } from '../helpers/app.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 8);
const SOURCES = ['params', 'query', 'payload', 'headers'] as const;
type Source = (typeof SOURCES)[number];
type Path = Array<string | number>;

interface Field {
  source: Source;
  path: Path;
  describe: Description;
}

/** The route's path parameter names: hapi has them on the route object, its types do not. */
const paramsOf = (route: RequestRoute): string[] => (route as unknown as { params?: string[] }).params ?? [];

const t0 = await startTestApp({ database: 'pglite' });
const server: Server = t0.app.server;
const user = `fuzz-${randomUUID()}`;
const auth = { authorization: `Bearer ${t0.token(user)}` };
const adminAuth = { authorization: `Bearer ${t0.token(`fuzz-admin-${randomUUID()}`, { admin: true })}` };
test.after.always(async () => {
  await t0.stop();
});

// ------------------------------------------------------------------ what the server declares
const describeOf = (schema: unknown): Description | undefined =>
  schema &&
  typeof schema === 'object' &&
  'describe' in schema &&
  typeof (schema as { describe: unknown }).describe === 'function'
    ? (schema as { describe(): Description }).describe()
    : undefined;

/** Every leaf field of a joi object description, with its path (array items as index 0). */
function leaves(source: Source, d: Description, path: Path = []): Field[] {
  if (d.type === 'object' && d.keys)
    return Object.entries(d.keys as Record<string, Description>).flatMap(([k, v]) => leaves(source, v, [...path, k]));
  const items = (d as { items?: Description[] }).items;
  if (d.type === 'array' && items?.[0])
    return [{ source, path, describe: d }, ...leaves(source, items[0], [...path, 0])];
  return path.length ? [{ source, path, describe: d }] : [];
}

const routes = server
  .table()
  .filter((r) => ['get', 'post', 'patch', 'put', 'delete'].includes(r.method) && !r.path.startsWith('/docs/ui'))
  .sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));

function fieldsOf(route: RequestRoute): Field[] {
  const validate = route.settings.validate as Partial<Record<Source, unknown>> | undefined;
  const fields = SOURCES.flatMap((s) => {
    const d = describeOf(validate?.[s]);
    return d ? leaves(s, d) : [];
  });
  // Path parameters a route has without a schema are fields too.
  for (const p of paramsOf(route))
    if (!fields.some((f) => f.source === 'params' && f.path[0] === p))
      fields.push({ source: 'params', path: [p], describe: { type: 'string' } });
  return fields;
}

// ------------------------------------------------------------------ a valid request, from the schema
const rules = (d: Description) =>
  (d as { rules?: Array<{ name: string; args?: Record<string, unknown> }> }).rules ?? [];
const flags = (d: Description) => (d as { flags?: Record<string, unknown> }).flags ?? {};

/** A value the schema accepts, guessed from its description (type, rules, description text). */
function example(d: Description, name: string, ids: Ids): unknown {
  if (d.type === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries((d.keys ?? {}) as Record<string, Description>))
      if (flags(v).presence === 'required') out[k] = example(v, k, ids);
    const xor = ((d as { dependencies?: Array<{ rel: string; peers: string[] }> }).dependencies ?? []).find(
      (x) => x.rel === 'xor' || x.rel === 'or',
    );
    const first = xor?.peers[0];
    if (first && d.keys)
      out[first] = example((d.keys as Record<string, Description>)[first] as Description, first, ids);
    if (Object.keys(out).length === 0 && rules(d).some((r) => r.name === 'min') && d.keys) {
      const [k, v] = Object.entries(d.keys as Record<string, Description>)[0] as [string, Description];
      out[k] = example(v, k, ids);
    }
    return out;
  }
  if (d.type === 'number') return Number(rules(d).find((r) => r.name === 'min')?.args?.limit ?? 1);
  if (d.type === 'boolean') return true;
  if (d.type === 'array') return [];
  const text = String(flags(d).description ?? '');
  if (name === 'id') return ids.task;
  if (name === 'rid') return ids.reminder;
  if (rules(d).some((r) => r.name === 'guid')) return randomUUID();
  if (rules(d).some((r) => r.name === 'pattern' && String(r.args?.regex).startsWith('/^P'))) return 'PT1H';
  if (/RRULE/.test(text)) return 'FREQ=DAILY';
  if (/IANA/.test(text)) return 'Europe/Berlin';
  if (/ISO|date-time/.test(text)) return new Date(Date.now() + 86_400_000).toISOString();
  if (name === 'if-match') return undefined;
  return 'x';
}

// ------------------------------------------------------------------ hostile values
const pad = (n: number, w: number) => String(n).padStart(w, '0');
const instantText = fc
  .record({
    y: fc.oneof(fc.integer({ min: 0, max: 10_001 }), fc.constantFrom(0, 1, 9999, 10_000)),
    mo: fc.integer({ min: 0, max: 13 }),
    d: fc.integer({ min: 0, max: 32 }),
    h: fc.integer({ min: 0, max: 25 }),
    mi: fc.integer({ min: 0, max: 61 }),
    s: fc.integer({ min: 0, max: 61 }),
    frac: fc.option(fc.integer({ min: 0, max: 999_999_999 })),
    time: fc.boolean(),
    zone: fc.oneof(
      fc.constantFrom('', 'Z', 'z'),
      fc
        .record({
          sign: fc.constantFrom('+', '-'),
          oh: fc.integer({ min: 0, max: 27 }),
          om: fc.integer({ min: 0, max: 61 }),
          colon: fc.boolean(),
        })
        .map(({ sign, oh, om, colon }) => `${sign}${pad(oh, 2)}${colon ? ':' : ''}${pad(om, 2)}`),
    ),
  })
  .map(({ y, mo, d, h, mi, s, frac, time, zone }) => {
    const year = y > 9999 ? `+${pad(y, 6)}` : pad(y, 4);
    const date = `${year}-${pad(mo, 2)}-${pad(d, 2)}`;
    return time ? `${date}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${frac === null ? '' : `.${frac}`}${zone}` : date;
  });
const edgeInstants = fc.constantFrom(
  '0000-01-01T00:00:00Z',
  '+010000-01-01T00:00:00Z',
  '9999-12-31T23:59:59-12:00',
  '0001-01-01T00:00:00+14:00',
  '2026-02-30',
  '2026-02-29T09:00',
  '2026-01-01T00:00:00+25:00',
  '-000001-01-01T00:00:00Z',
  '2027-03-14T02:30:00',
  '275760-09-13T00:00:00Z',
);
const anyDate = fc
  .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
  .map((d) => d.toISOString());
const char16 = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
/** Text with one character PostgreSQL or a terminal cannot take, somewhere in it. */
const poisoned = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('\u0000', '\ud800', '\udfff', '\u001b', '\u0007', '\u007f', '\u0085', '\u2028', '\ufffe'),
    fc.string({ maxLength: 8 }),
  )
  .map(([a, c, b]) => `${a}${c}${b}`);
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: poisoned },
  { weight: 2, arbitrary: fc.string({ unit: char16, maxLength: 24 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'a\u0000b',
      '\u0000',
      '\ud800',
      'x\udc00y',
      '\u001b[31m',
      'a\u007fb',
      '',
      ' ',
      'x'.repeat(70_000),
      '%00',
      '../../etc/passwd',
      "' OR 1=1 --",
      'FREQ=MINUTELY',
      'PT0S',
      'P99999D',
    ),
  },
  { weight: 3, arbitrary: fc.oneof(instantText, edgeInstants, anyDate) },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-1, 0, 2 ** 53, 1e308, -1e308)).map(String),
  },
);
const value = fc.oneof(
  { weight: 6, arbitrary: text },
  {
    weight: 2,
    arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53, 2 ** 64, 1e308)),
  },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
  { weight: 1, arbitrary: fc.array(text, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), text, { maxKeys: 2 }) },
);

// What an HTTP client can put on the wire: query and path as UTF-8 percent-encoded bytes; headers as
// Latin-1 without control characters (anything else a real server refuses before hapi).
const percent = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
const headerText = (s: string) =>
  [...s].filter((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) <= 0xff && c.charCodeAt(0) !== 0x7f).join('');

function setAt(target: Record<string, unknown>, path: Path, v: unknown): void {
  let node: Record<string | number, unknown> = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string | number;
    const next = path[i + 1];
    if (node[key] === undefined || node[key] === null || typeof node[key] !== 'object')
      node[key] = typeof next === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  }
  node[path[path.length - 1] as string | number] = v;
}

interface Ids {
  task: string;
  reminder: string;
}

/** A fresh task (due tomorrow, one reminder), so one route's requests never starve another's. */
async function freshIds(path: string): Promise<Ids> {
  const recurring = path.endsWith('/occurrences');
  const res = await server.inject({
    method: 'POST',
    url: '/tasks',
    headers: auth,
    payload: {
      title: 'fuzz target',
      due_date: new Date(Date.now() + 2 * 86_400_000).toISOString(),
      reminders: [{ before: 'PT1H' }],
      ...(recurring ? { recurrence_rule: 'FREQ=DAILY' } : {}),
    },
  });
  const body = JSON.parse(res.payload) as { id: string; reminders: Array<{ id: string }> };
  return { task: body.id, reminder: body.reminders[0]?.id ?? randomUUID() };
}

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: unknown;
}

function request(route: RequestRoute, fields: Field[], ids: Ids, fuzzed: Field | undefined, v: unknown): Sent {
  const validate = route.settings.validate as Partial<Record<Source, unknown>> | undefined;
  const base = (s: Source): Record<string, unknown> => {
    const d = describeOf(validate?.[s]);
    return d ? (example(d, s, ids) as Record<string, unknown>) : {};
  };
  const params: Record<string, unknown> = Object.fromEntries(
    paramsOf(route).map((p) => [p, p === 'id' ? ids.task : p === 'rid' ? ids.reminder : 'x']),
  );
  Object.assign(params, base('params'));
  const query = base('query');
  const payload = base('payload');
  const headers: Record<string, unknown> = Object.fromEntries(
    Object.entries(base('headers')).filter(([, x]) => x !== undefined),
  );
  const target = fuzzed ? { params, query, payload, headers }[fuzzed.source] : undefined;
  if (fuzzed && target) setAt(target, fuzzed.path, v);
  void fields;
  const str = (x: unknown) => (typeof x === 'string' ? x : (JSON.stringify(x) ?? ''));
  const url =
    route.path.replace(/\{(\w+)\*?\??\}/g, (_m, name: string) => percent(str(params[name]))) +
    (Object.keys(query).length
      ? `?${Object.entries(query)
          .map(([k, x]) => `${percent(k)}=${percent(str(x))}`)
          .join('&')}`
      : '');
  const sent: Sent = {
    method: route.method.toUpperCase(),
    url,
    headers: {
      ...(route.path.startsWith('/admin') ? adminAuth : auth),
      ...Object.fromEntries(Object.entries(headers).map(([k, x]) => [k, headerText(str(x))])),
    },
  };
  if (['POST', 'PATCH', 'PUT'].includes(sent.method) && describeOf(validate?.payload)) sent.payload = payload;
  return sent;
}

async function check(sent: Sent, label: string): Promise<void> {
  const options: ServerInjectOptions =
    sent.payload === undefined
      ? { method: sent.method, url: sent.url, headers: sent.headers }
      : {
          method: sent.method,
          url: sent.url,
          payload: JSON.stringify(sent.payload),
          headers: { ...sent.headers, 'content-type': 'application/json' },
        };
  const res = await server.inject(options);
  const where = `${label}: ${sent.method} ${sent.url.slice(0, 200)} ${JSON.stringify(sent.payload)?.slice(0, 200) ?? ''} → ${res.statusCode} ${res.payload.slice(0, 300)}`;
  if (res.statusCode >= 500) throw new Error(`a server error for bad input — ${where}`);
  if (res.statusCode === 400) {
    const body = JSON.parse(res.payload) as { field?: unknown };
    if (typeof body.field !== 'string' || body.field.length === 0)
      throw new Error(`a 400 that names no field — ${where}`);
  }
}

for (const route of routes) {
  const fields = fieldsOf(route);
  if (fields.length === 0) continue;
  test.serial(
    `${route.method.toUpperCase()} ${route.path}: random values in every field never get a 5xx, and a 400 names its field`,
    async (t) => {
      const ids = await freshIds(route.path);
      // The valid request itself is no server error either (and shows the fuzzing starts from a sound request).
      await check(request(route, fields, ids, undefined, undefined), 'the valid request');
      for (const field of fields) {
        const label = `${field.source}.${field.path.join('.')}`;
        const arbitrary = field.source === 'payload' ? value : text;
        await fc.assert(
          fc.asyncProperty(arbitrary, async (v) => check(request(route, fields, ids, field, v), label)),
          { numRuns: RUNS, includeErrorInReport: true },
        );
      }
      t.pass(`${fields.length} fields × ${RUNS} values`);
    },
  );
}

test('the fuzzer sees the routes that take input', (t) => {
  const seen = routes.filter((r) => fieldsOf(r).length > 0).map((r) => `${r.method.toUpperCase()} ${r.path}`);
  for (const route of [
    'POST /tasks',
    'PATCH /tasks/{id}',
    'GET /tasks',
    'POST /recurrence/preview',
    'GET /admin/events',
    'GET /events',
    'PATCH /me',
    'POST /tasks/{id}/reminders/{rid}/snooze',
  ]) {
    t.true(seen.includes(route), route);
  }
});
