// How failures reach users: a database or Dapr sidecar that is away is a 503 to retry, never a 500 —
// also when the failure crossed the Dapr actor call, which keeps only its message; data PostgreSQL
// refuses is a 400; domain errors keep their status and field.
import test from 'ava';
import Boom from '@hapi/boom';
import { toBoom, sidecarAway, databaseAway } from '../../api/errors.ts';
import { DomainError } from '../../actors/errors.ts';

const pgError = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

const AWAY: Array<[string, Error]> = [
  ['connection refused', pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
  ['backend terminated', pgError('terminating connection due to administrator command', '57P01')],
  ['starting up (SQLSTATE)', pgError('the database system is starting up', '57P03')],
  ['starting up (message only, via Dapr)', pgError('the database system is starting up')],
  [
    'not yet accepting connections (message only, via Dapr)',
    pgError('the database system is not yet accepting connections'),
  ],
  ['shutting down (message only)', pgError('the database system is shutting down')],
  ['connection lost mid-query', pgError('Connection terminated unexpectedly')],
  ['postmaster killed (message only, via Dapr)', pgError('terminating connection due to unexpected postmaster exit')],
  ['server closed the connection (message only)', pgError('server closed the connection unexpectedly')],
];

for (const [name, error] of AWAY) {
  test(`database away — ${name}: 503 with Retry-After`, (t) => {
    const boom = toBoom(error);
    t.is(boom.output.statusCode, 503);
    t.is(boom.output.headers['retry-after'], '2');
    t.regex(String(boom.output.payload.message), /database is unavailable/);
  });
}

test('an unexpected failure is a 500 whose payload says nothing of its cause', (t) => {
  const boom = toBoom(new Error('relation "secret_table" does not exist'));
  t.is(boom.output.statusCode, 500);
  t.notRegex(JSON.stringify(boom.output.payload), /secret_table/);
});

// What the Dapr SDK's HTTP client throws for a non-2xx answer from daprd: the answer as JSON text.
const daprd = (status: number, errorCode: string, message: string) =>
  new Error(
    JSON.stringify({ error: 'Internal Server Error', error_msg: JSON.stringify({ errorCode, message }), status }),
  );

const SIDECAR_AWAY: Array<[string, unknown]> = [
  [
    'daprd could not reach the restarting app (ERR_ACTOR_INVOKE_METHOD … connection reset by peer)',
    daprd(
      500,
      'ERR_ACTOR_INVOKE_METHOD',
      'error invoke actor method: failed to invoke target app: Post "http://127.0.0.1:3000/actors/TaskActor/x/method/execute": read tcp 127.0.0.1:50012->127.0.0.1:3000: read: connection reset by peer',
    ),
  ],
  [
    'actor runtime not ready (ERR_ACTOR_RUNTIME_NOT_FOUND)',
    daprd(500, 'ERR_ACTOR_RUNTIME_NOT_FOUND', 'the state store is not configured to use the actor runtime'),
  ],
  ['placement not ready', daprd(500, 'ERR_ACTOR_INVOKE_METHOD', 'did not find address for actor TaskActor/x')],
  [
    'daprd went away mid-call (node-fetch: socket hang up)',
    Object.assign(
      new Error(
        'request to http://127.0.0.1:3500/v1.0/actors/TaskActor/x/method/execute failed, reason: socket hang up',
      ),
      { code: 'ECONNRESET', type: 'system' },
    ),
  ],
  [
    'daprd went away mid-call (node-fetch: read ECONNRESET)',
    Object.assign(
      new Error(
        'request to http://127.0.0.1:3500/v1.0/actors/UserActor/u/method/setTimezone failed, reason: read ECONNRESET',
      ),
      { code: 'ECONNRESET', errno: 'ECONNRESET', type: 'system' },
    ),
  ],
  [
    'daprd answered 503',
    new Error(
      JSON.stringify({
        error: 'Service Unavailable',
        error_msg: '',
        status: 503,
        url: 'http://127.0.0.1:3500/v1.0/actors/UserActor/u/method/setTimezone',
      }),
    ),
  ],
  ['sidecar never answered at start', new Error('no Dapr sidecar answered on 127.0.0.1:3500 within 60 s')],
  ['daprd not reachable', new Error('daprd not reachable at 127.0.0.1:3500')],
];

for (const [name, error] of SIDECAR_AWAY) {
  test(`sidecar away — ${name}: 503 with Retry-After`, (t) => {
    t.true(sidecarAway(error));
    const boom = toBoom(error);
    t.is(boom.output.statusCode, 503);
    t.is(boom.output.headers['retry-after'], '2');
    t.regex(String(boom.output.payload.message), /sidecar \(Dapr\) is unavailable/);
  });
}

test('a database failure that crossed the actor call (message only) is still the database away', (t) => {
  const boom = toBoom(new Error('Connection terminated unexpectedly'));
  t.is(boom.output.statusCode, 503);
  t.false(sidecarAway(new Error('Connection terminated unexpectedly')));
});

test('the embedded database closed is the database away', (t) => {
  t.is(toBoom(new Error('PGlite is closed')).output.statusCode, 503);
});

test('a write that lost to concurrent writes on every attempt (40001, 40P01, MoreLocksNeeded) is a 503 with Retry-After', (t) => {
  const cases = [
    pgError('a task, list or label changed since it was read (version check failed)', '40001'),
    pgError('deadlock detected', '40P01'),
    Object.assign(new Error('the decision reaches users not locked first: bob'), { code: '40001' }),
    new Error('the turn failed', { cause: pgError('could not serialize access', '40001') }),
  ];
  for (const error of cases) {
    const boom = toBoom(error);
    t.is(boom.output.statusCode, 503, error.message);
    t.is(boom.output.headers['retry-after'], '2');
    t.regex(String(boom.output.payload.message), /nothing was written, retry/);
  }
  t.is(toBoom(pgError('duplicate key value violates unique constraint', '23505')).output.statusCode, 500);
});

test('a Dapr error that is not about reaching anything is not mistaken for one', (t) => {
  t.false(sidecarAway(new Error('connection reset by peer while reading the config file')));
  t.false(databaseAway(new Error('relation "tasks" does not exist')));
});

const DATA: Array<[string, Error, string | undefined]> = [
  ['NUL in text (22021)', pgError('invalid byte sequence for encoding "UTF8": 0x00', '22021'), undefined],
  ['lone surrogate in jsonb (22P05)', pgError('unsupported Unicode escape sequence', '22P05'), undefined],
  [
    'year out of range (22008) with its column',
    Object.assign(pgError('date/time field value out of range: "+010000-01-01"', '22008'), { column: 'due_date' }),
    'due_date',
  ],
  ['program limit (54000)', pgError('index row requires 9000 bytes, maximum size is 8191', '54000'), undefined],
  ['NUL, message only (via Dapr)', pgError('invalid byte sequence for encoding "UTF8": 0x00'), undefined],
];

for (const [name, error, field] of DATA) {
  test(`data PostgreSQL refuses — ${name}: 400, never 500`, (t) => {
    const boom = toBoom(error);
    t.is(boom.output.statusCode, 400);
    t.is((boom.output.payload as unknown as { field?: string }).field, field);
    t.notRegex(String(boom.output.payload.message), /0x00|UTF8/);
  });
}

test('domain errors map by code, with the field they name, also after hapi boomified them', (t) => {
  const cases: Array<[DomainError, number, string | undefined]> = [
    [new DomainError('validation', 'due_date: "x" is not an ISO-8601 date-time', 'due_date'), 400, 'due_date'],
    [
      new DomainError('unsupported', 'recurrence_rule: BYSETPOS is not supported', 'recurrence_rule'),
      400,
      'recurrence_rule',
    ],
    [new DomainError('not_found', 'task not found'), 404, undefined],
    [new DomainError('conflict', 'the task is completed'), 409, undefined],
    [new DomainError('forbidden', "only the list's owner may share it"), 403, undefined],
    // A version mismatch is always about If-Match, which the deciders need not name.
    [new DomainError('version_mismatch', 'version mismatch'), 412, 'if-match'],
  ];
  for (const [error, status, field] of cases) {
    const boom = toBoom(error);
    t.is(boom.output.statusCode, status, error.message);
    t.is((boom.output.payload as unknown as { field?: string }).field, field);
    // A handler that throws it: hapi boomifies the same object as a 500 before onPreResponse runs.
    const thrown = new DomainError(error.code, error.message, error.field);
    Boom.boomify(thrown);
    t.is(toBoom(thrown).output.statusCode, status, `boomified: ${error.message}`);
  }
});

test('a Boom made on purpose is kept as it is', (t) => {
  const gone = Boom.notFound('task not found');
  t.is(toBoom(gone), gone);
  const draining = Boom.serverUnavailable('shutting down; retry on another instance');
  t.is(toBoom(draining), draining);
});
