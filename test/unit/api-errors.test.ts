// How failures reach users: a database that is away is a 503 to retry, never a 500 — also when the
// failure crossed the Dapr actor call, which keeps only its message.
import test from 'ava';
import { toBoom } from '../../api/errors.ts';

const pgError = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

const AWAY: Array<[string, Error]> = [
  ['connection refused', pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
  ['backend terminated', pgError('terminating connection due to administrator command', '57P01')],
  ['starting up (SQLSTATE)', pgError('the database system is starting up', '57P03')],
  ['starting up (message only, via Dapr)', pgError('the database system is starting up')],
  ['not yet accepting connections (message only, via Dapr)', pgError('the database system is not yet accepting connections')],
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
