// Length limits count characters (code points), as the OpenAPI document's maxLength and PostgreSQL's
// length() do: a title, list name or label name of emoji at the limit is accepted, one more is a 400
// naming the field (in UTF-16 an emoji counts 2, which refused schema-valid requests).
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { injector } from '../helpers/inject.ts';
import { MAX_TITLE } from '../../actors/task/index.ts';
import { MAX_LIST_NAME } from '../../actors/list/index.ts';
import { MAX_LABEL_NAME } from '../../actors/label/index.ts';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({ database: 'pglite' });
});
test.after.always(async () => {
  await app?.stop();
});

const cases: [route: string, field: string, limit: number][] = [
  ['/tasks', 'title', MAX_TITLE],
  ['/lists', 'name', MAX_LIST_NAME],
  ['/labels', 'name', MAX_LABEL_NAME],
];

for (const [route, field, limit] of cases) {
  test(`POST ${route}: ${field} of ${limit} emoji is accepted, ${limit + 1} is a 400 naming ${field}`, async (t) => {
    const call = injector(app.app.server);
    const token = app.token(`text-length-${field}-${limit}`);
    const at = await call('POST', route, { token, body: { [field]: '😀'.repeat(limit) } });
    t.is(at.status, 201, at.text);
    t.is(at.body[field], '😀'.repeat(limit));
    const over = await call('POST', route, { token, body: { [field]: '😀'.repeat(limit + 1) } });
    t.is(over.status, 400);
    t.is(over.body.field, field);
  });
}
