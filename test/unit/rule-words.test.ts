// The dashboard's rules in words (realtime/public/rules.js describeRule): what the picker can show in its own
// words, and every other rule the server takes described from its parts — never the raw RRULE a user would
// have to read (a newcomer saw "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29" for "every year on Feb 29").
import test from 'ava';

// The browser module is plain JavaScript without declarations: its shape, as used here.
interface RulesModule {
  describeRule(rule: string): string;
}
const modulePath = '../../realtime/public/rules.js';
const { describeRule } = (await import(modulePath)) as RulesModule;

/** A time of day as the page writes every time: the locale's clock (en-US: 9:00 AM), not a fixed 09:00. */
const clock = (hour: number, minute: number) =>
  new Intl.DateTimeFormat(undefined, { timeZone: 'UTC', hour: 'numeric', minute: '2-digit' }).format(
    Date.UTC(2000, 0, 1, hour, minute),
  );

test('rules in words', (t) => {
  const cases: [string, string][] = [
    ['FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE', 'every 2 weeks on Mon, Wed'],
    ['FREQ=MONTHLY;BYDAY=2TU', 'monthly on the second Tuesday'],
    ['FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29', 'yearly on Feb 29'],
    ['freq=yearly;bymonth=12;bymonthday=24', 'yearly on Dec 24'],
    ['FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU', 'yearly on the last Sunday of Mar'],
    ['FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=1', 'yearly on day 1 in Jan and Jul'],
    ['FREQ=DAILY;BYHOUR=9,21;BYMINUTE=0', `daily at ${clock(9, 0)} and ${clock(21, 0)}`],
    ['FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO', 'yearly on day 29 when it is a Mon in Feb'],
    ['FREQ=WEEKLY;BYDAY=SA;BYHOUR=9,21;BYMINUTE=45', `weekly on Sat at ${clock(9, 45)} and ${clock(21, 45)}`],
    ['FREQ=MONTHLY;BYDAY=MO,FR;BYMONTHDAY=13', 'monthly on day 13 when it is a Mon or Fri'],
    ['FREQ=MONTHLY;BYDAY=1SU;COUNT=60', 'monthly on the first Sunday, 60 times'],
    ['FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20301231', 'monthly on the last Friday, until 2030-12-31'],
    // Counted from the end, as quick add reads "every second to last Friday" (RFC 5545 BYDAY=-2FR).
    ['FREQ=MONTHLY;BYDAY=-2FR', 'monthly on the second to last Friday'],
    ['FREQ=MONTHLY;BYMONTHDAY=-2', 'monthly on the second to last day'],
  ];
  for (const [rule, words] of cases) t.is(describeRule(rule), words, rule);
  // In a locale with a 12-hour clock (Node's default here is en-US) the page never shows a 24-hour time.
  if (clock(21, 0).includes('PM')) t.false(/\b(09|21):\d\d\b/.test(describeRule('FREQ=DAILY;BYHOUR=9,21;BYMINUTE=0')));
});

test('a rule that cannot be said exactly is shown as written, not half described', (t) => {
  for (const rule of [
    'FREQ=HOURLY',
    'FREQ=YEARLY;BYSETPOS=1',
    'FREQ=MONTHLY;BYDAY=XX',
    // What cannot be said exactly from the rule alone: the minute comes from the start; ordinals and days
    // counted from the end beyond the picker's words; an ordinal weekday with a month day; an UNTIL instant.
    'FREQ=DAILY;BYHOUR=9,21',
    'FREQ=DAILY;BYMINUTE=0,30',
    'FREQ=MONTHLY;BYMONTHDAY=-6',
    'FREQ=YEARLY;BYDAY=-10MO',
    'FREQ=MONTHLY;BYDAY=5FR',
    'FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=1',
    'FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20301231T120000Z',
  ])
    t.is(describeRule(rule), rule);
});
