import test from 'ava';
import { decide, evolve, initialState } from '../../actors/user/decider.ts';
import { DomainError } from '../../actors/errors.ts';

test('a user starts in UTC and changes zone with a from/to event in the canonical spelling', (t) => {
  const state = initialState('u1');
  t.is(state.timezone, 'UTC');
  const events = decide({ type: 'set_timezone', timezone: 'europe/berlin' }, state);
  t.deepEqual(events.map((e) => e.event_type), ['user.timezone_changed']);
  t.deepEqual(events[0]?.data, { changes: { timezone: { from: 'UTC', to: 'Europe/Berlin' } } });
  const next = evolve(state, { ...events[0]!, event_id: 'e1', user_id: 'u1', version: 1, seq: 1, timestamp: '2026-01-01T00:00:00.000Z', correlation_id: 'c', causation_id: null });
  t.is(next.timezone, 'Europe/Berlin');
  t.is(next.version, 1);
  t.deepEqual(decide({ type: 'set_timezone', timezone: 'Europe/Berlin' }, next), [], 'the same zone again changes nothing');
});

test('a zone that is not IANA is refused, naming the field', (t) => {
  for (const timezone of ['Berlin', 'GMT+25', '', 'Europe/Atlantis']) {
    const error = t.throws(() => decide({ type: 'set_timezone', timezone }, initialState('u1')), { instanceOf: DomainError });
    t.regex(error?.message ?? '', /^timezone: /);
  }
});

test('a zone is kept as sent, never replaced by the backward link the runtime resolves it to', (t) => {
  const names = ['Europe/Kyiv', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/Nuuk', 'Asia/Ho_Chi_Minh', 'Asia/Yangon', 'Pacific/Kanton', 'America/Argentina/Buenos_Aires', 'Australia/Lord_Howe', 'Etc/UTC'];
  for (const timezone of names) {
    const events = decide({ type: 'set_timezone', timezone }, initialState('u1'));
    t.deepEqual(events[0]?.data, { changes: { timezone: { from: 'UTC', to: timezone } } }, timezone);
  }
  // The backward link it used to be stored as changes to the current name.
  const kiev = { ...initialState('u1'), timezone: 'Europe/Kiev' };
  t.deepEqual(decide({ type: 'set_timezone', timezone: 'Europe/Kyiv' }, kiev)[0]?.data, { changes: { timezone: { from: 'Europe/Kiev', to: 'Europe/Kyiv' } } });
  t.deepEqual(decide({ type: 'set_timezone', timezone: ' Europe/Kyiv ' }, { ...kiev, timezone: 'Europe/Kyiv' }), [], 'surrounding spaces are not part of the name');
  for (const timezone of ['+02:00', 'Europe/Kyiv\u0000', 'Europe/Kyiv/', '../Europe/Kyiv', 'x'.repeat(65)]) {
    const error = t.throws(() => decide({ type: 'set_timezone', timezone }, initialState('u1')), { instanceOf: DomainError });
    t.is(error?.field, 'timezone', JSON.stringify(timezone));
  }
});
