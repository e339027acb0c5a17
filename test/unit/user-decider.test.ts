// The user decider alone, given / when / then (test/helpers/decider-spec.ts).
import test, { type ExecutionContext } from 'ava';
import { decide, evolve, initialState, type UserCommand, type UserState } from '../../actors/user/decider.ts';
import type { PendingEvent } from '../../actors/events.ts';
import { deciderSpec, throws, type Given } from '../helpers/decider-spec.ts';

const spec = (t: ExecutionContext): Given<UserCommand, UserState, undefined> =>
  deciderSpec(t, { decide, evolve, initialState: () => initialState('u1') });
const setZone = (timezone: string): UserCommand => ({ type: 'set_timezone', timezone });
/** The event a user's earlier zone change left, to start from that zone. */
const zoneChanged = (from: string, to: string): PendingEvent => ({
  event_type: 'user.timezone_changed',
  aggregate_type: 'user',
  aggregate_id: 'u1',
  data: { changes: { timezone: { from, to } } },
});
const changed = (from: string, to: string) => ({
  event_type: 'user.timezone_changed' as const,
  data: { changes: { timezone: { from, to } } },
  exact: true,
});
/** A new user's first choice: the zone, and that it was chosen. */
const chosen = (from: string, to: string) => ({
  event_type: 'user.timezone_changed' as const,
  data: { changes: { timezone: { from, to }, timezone_chosen: { from: false, to: true } } },
  exact: true,
});

test('a user starts in UTC and changes zone with a from/to event in the canonical spelling', (t) => {
  const given = spec(t);
  t.is(initialState('u1').timezone, 'UTC');
  const berlin = given()
    .when(setZone('europe/berlin'))
    .then([chosen('UTC', 'Europe/Berlin')])
    .then({ timezone: 'Europe/Berlin', version: 1, timezone_chosen: true });
  given(berlin).when(setZone('Europe/Berlin')).then([], 'the same zone again changes nothing');
});

test('a zone that is not IANA is refused, naming the field', (t) => {
  const given = spec(t);
  for (const timezone of ['Berlin', 'GMT+25', '', 'Europe/Atlantis']) {
    given()
      .when(setZone(timezone))
      .then(throws('validation', 'timezone', /^timezone: /), JSON.stringify(timezone));
  }
});

test('a zone is kept as sent, never replaced by the backward link the runtime resolves it to', (t) => {
  const given = spec(t);
  const names = [
    'Europe/Kyiv',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'America/Nuuk',
    'Asia/Ho_Chi_Minh',
    'Asia/Yangon',
    'Pacific/Kanton',
    'America/Argentina/Buenos_Aires',
    'Australia/Lord_Howe',
    'Etc/UTC',
  ];
  for (const timezone of names)
    given()
      .when(setZone(timezone))
      .then([chosen('UTC', timezone)], timezone);
  // The backward link it used to be stored as changes to the current name.
  given(zoneChanged('UTC', 'Europe/Kiev'))
    .when(setZone('Europe/Kyiv'))
    .then([changed('Europe/Kiev', 'Europe/Kyiv')]);
  given(zoneChanged('UTC', 'Europe/Kyiv'))
    .when(setZone(' Europe/Kyiv '))
    .then([], 'surrounding spaces are not part of the name');
  for (const timezone of ['+02:00', 'Europe/Kyiv\u0000', 'Europe/Kyiv/', '../Europe/Kyiv', 'x'.repeat(65)]) {
    given().when(setZone(timezone)).then(throws('validation', 'timezone'), JSON.stringify(timezone));
  }
});

test('a new user is in UTC with the zone not chosen; choosing UTC itself records only the choice', (t) => {
  const given = spec(t);
  t.false(initialState('u1').timezone_chosen);
  const utc = given()
    .when(setZone('UTC'))
    .then([
      {
        event_type: 'user.timezone_changed',
        data: { changes: { timezone_chosen: { from: false, to: true } } },
        exact: true,
      },
    ])
    .then({ timezone: 'UTC', timezone_chosen: true, version: 1 });
  given(utc).when(setZone('UTC')).then([], 'choosing it again changes nothing');
  given(utc)
    .when(setZone('Asia/Kolkata'))
    .then([changed('UTC', 'Asia/Kolkata')], 'a later change names only the zone');
});

test('a zone change written before choices were kept reads as a choice', (t) => {
  const given = spec(t);
  given(zoneChanged('UTC', 'Pacific/Auckland'))
    .when(setZone('Pacific/Auckland'))
    .then([], 'the same zone, already chosen');
  const folded = evolve(initialState('u1'), {
    ...zoneChanged('UTC', 'Pacific/Auckland'),
    event_id: 'e1',
    user_id: 'u1',
    version: 1,
    seq: 1,
    timestamp: '2026-01-01T00:00:00.000Z',
    correlation_id: 'c',
    causation_id: null,
  });
  t.deepEqual(
    { timezone: folded.timezone, timezone_chosen: folded.timezone_chosen },
    { timezone: 'Pacific/Auckland', timezone_chosen: true },
  );
});
