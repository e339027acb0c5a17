// formatRule (actors/recurrence/rule.ts): the canonical RFC 5545 text of a rule, for readers stricter than
// parseRule (the calendar feed's ical.js). Over every rule of the recurrence oracle, and over the same rules
// written as parseRule also takes them (lower case, spaces, zero-padded ordinals, parts shuffled), the text
// parses back to the same rule, is its own canonical form, opens in ical.js, and expands to the oracle's
// instants.
import test from 'ava';
import ICAL from 'ical.js';
import { formatRule, occurrences, parseRule, type ParsedRule } from '../../actors/recurrence/index.ts';
import { oracle } from '../helpers/recurrence-oracle.ts';

const meaning = ({ source: _source, ...rest }: ParsedRule) => rest;

/** `rule` as a user may write it: lower case, spaces around keys and values, ordinals padded, parts reversed. */
function loosely(rule: string): string {
  return rule
    .replace(/^RRULE:/i, '')
    .split(';')
    .reverse()
    .map((part) => {
      const [key = '', value = ''] = part.split('=');
      const padded = key.toUpperCase() === 'BYDAY' ? value.replace(/(^|,)([+-]?)(\d)(?=[A-Za-z])/g, '$1$20$3') : value;
      return ` ${key.toLowerCase()} = ${padded.toLowerCase()} `;
    })
    .join(';');
}

test('every oracle rule, as written and written loosely: its canonical text means the same, is a fixed point and opens in ical.js', (t) => {
  let checked = 0;
  for (const c of oracle.cases) {
    for (const written of [c.rule, loosely(c.rule)]) {
      const rule = parseRule(written);
      const text = formatRule(rule);
      t.deepEqual(meaning(parseRule(text)), meaning(rule), `${written} → ${text}`);
      t.is(formatRule(parseRule(text)), text, `${text} is canonical`);
      t.regex(text, /^FREQ=[A-Z]+(;[A-Z]+=[0-9A-Z,+-]+)*$/, `${text}: upper case, no spaces`);
      t.notThrows(() => ICAL.Recur.fromString(text), `ical.js reads ${text}`);
      checked++;
    }
  }
  t.true(checked >= 600, `${checked} rules`);
});

test('the canonical text expands to the oracle’s instants', (t) => {
  for (const c of oracle.cases) {
    const text = formatRule(parseRule(loosely(c.rule)));
    const got = occurrences(text, c.start, c.zone, {
      limit: c.limit,
      ...(c.after ? { after: new Date(c.after) } : {}),
      ...(c.until ? { until: new Date(c.until) } : {}),
    }).map((d) => d.toISOString());
    t.deepEqual(got, c.expected, `${c.rule} as ${text} from ${c.start} in ${c.zone}`);
  }
});

test('COUNT and UNTIL are replaced or left out as asked; defaults are left out', (t) => {
  const rule = parseRule('freq=monthly;byday=-01fr,01mo;interval=1;wkst=mo;count=12');
  t.is(formatRule(rule), 'FREQ=MONTHLY;BYDAY=1MO,-1FR;COUNT=12');
  t.is(formatRule(rule, { count: 5 }), 'FREQ=MONTHLY;BYDAY=1MO,-1FR;COUNT=5');
  t.is(
    formatRule(rule, { count: null, until: { kind: 'date', year: 2027, month: 3, day: 1 } }),
    'FREQ=MONTHLY;BYDAY=1MO,-1FR;UNTIL=20270301',
  );
  t.is(
    formatRule(rule, { count: null, until: { kind: 'instant', epochMs: Date.UTC(2027, 2, 1, 22, 59, 59) } }),
    'FREQ=MONTHLY;BYDAY=1MO,-1FR;UNTIL=20270301T225959Z',
  );
});
