import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatInZone, mostRecent, parseSchedule, type Schedule } from './schedule.js';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function schedule(spec: string, zone = 'UTC'): Schedule {
  const p = parseSchedule(spec, zone);
  assert.ok(p.ok, `parse ${spec}`);
  return p.schedule;
}

describe('schedule.next', () => {
  const cases: { spec: string; zone?: string; after: string; next: string | undefined }[] = [
    { spec: '*/1 * * * *', after: '2026-01-01T10:00:00.000Z', next: '2026-01-01T10:01:00.000Z' },
    { spec: '* * * * *', after: '2026-01-01T10:00:59.999Z', next: '2026-01-01T10:01:00.000Z' },
    { spec: '*/15 * * * *', after: '2026-01-01T10:16:00.000Z', next: '2026-01-01T10:30:00.000Z' },
    { spec: '@hourly', after: '2026-01-01T10:00:00.000Z', next: '2026-01-01T11:00:00.000Z' },
    { spec: '@daily', after: '2026-01-01T10:00:00.000Z', next: '2026-01-02T00:00:00.000Z' },
    { spec: '@weekly', after: '2026-01-01T10:00:00.000Z', next: '2026-01-04T00:00:00.000Z' },
    { spec: '@monthly', after: '2026-01-31T10:00:00.000Z', next: '2026-02-01T00:00:00.000Z' },
    { spec: '@yearly', after: '2026-03-01T00:00:00.000Z', next: '2027-01-01T00:00:00.000Z' },
    { spec: '0 9 * * 1-5', after: '2026-01-02T09:00:00.000Z', next: '2026-01-05T09:00:00.000Z' },
    // Day of month or day of week when neither is a star: the 13th, or any Friday.
    { spec: '0 0 13 * 5', after: '2026-02-07T00:00:00.000Z', next: '2026-02-13T00:00:00.000Z' },
    { spec: '0 0 13 * 5', after: '2026-02-13T00:00:00.000Z', next: '2026-02-20T00:00:00.000Z' },
    { spec: '0 0 29 2 *', after: '2026-01-01T00:00:00.000Z', next: '2028-02-29T00:00:00.000Z' },
    { spec: '0 0 30 2 *', after: '2026-01-01T00:00:00.000Z', next: undefined },
    { spec: '@every 90s', after: '2026-01-01T10:00:00.400Z', next: '2026-01-01T10:01:30.000Z' },
    // 09:00 in Berlin is 08:00 UTC in winter, 07:00 UTC in summer.
    {
      spec: '0 9 * * *',
      zone: 'Europe/Berlin',
      after: '2026-01-10T12:00:00.000Z',
      next: '2026-01-11T08:00:00.000Z',
    },
    {
      spec: '0 9 * * *',
      zone: 'Europe/Berlin',
      after: '2026-07-10T12:00:00.000Z',
      next: '2026-07-11T07:00:00.000Z',
    },
    // 02:30 does not exist in Berlin on 2026-03-29 (clocks jump 02:00 → 03:00): skipped.
    {
      spec: '30 2 * * *',
      zone: 'Europe/Berlin',
      after: '2026-03-28T12:00:00.000Z',
      next: '2026-03-30T00:30:00.000Z',
    },
    // 02:30 happens twice on 2026-10-25: once, at the first.
    {
      spec: '30 2 * * *',
      zone: 'Europe/Berlin',
      after: '2026-10-24T12:00:00.000Z',
      next: '2026-10-25T00:30:00.000Z',
    },
    {
      spec: '30 2 * * *',
      zone: 'Europe/Berlin',
      after: '2026-10-25T00:30:00.000Z',
      next: '2026-10-26T01:30:00.000Z',
    },
    {
      spec: 'TZ=Asia/Tokyo 0 0 * * *',
      zone: undefined as unknown as string,
      after: '2026-01-01T00:00:00.000Z',
      next: '2026-01-01T15:00:00.000Z',
    },
  ];
  for (const c of cases) {
    it(`${c.spec} in ${c.zone ?? 'its TZ'} after ${c.after}`, () => {
      const p = parseSchedule(c.spec, 'zone' in c ? c.zone : 'UTC');
      assert.ok(p.ok);
      assert.equal(iso(p.schedule.next(t(c.after))), c.next);
    });
  }

  it('reports parse errors', () => {
    const p = parseSchedule('61 * * * *');
    assert.equal(p.ok, false);
  });
});

describe('mostRecent', () => {
  it('none before the first firing', () => {
    assert.deepEqual(
      mostRecent(schedule('0 * * * *'), t('2026-01-01T10:00:00Z'), t('2026-01-01T10:59:00Z')),
      {
        missed: 0,
      },
    );
  });
  it('the latest firing and the count', () => {
    const r = mostRecent(schedule('*/10 * * * *'), t('2026-01-01T10:00:00Z'), t('2026-01-01T10:35:00Z'));
    assert.equal(iso(r.time), '2026-01-01T10:30:00.000Z');
    assert.equal(r.missed, 3);
  });
  it('many missed: still the exact latest, counted as more than 100', () => {
    const r = mostRecent(schedule('* * * * *'), t('2025-01-01T00:00:00Z'), t('2026-01-01T10:35:30Z'));
    assert.equal(iso(r.time), '2026-01-01T10:35:00.000Z');
    assert.equal(r.missed, 101);
  });
  it('many missed with a long gap before now', () => {
    // Every minute of January only; now is in March.
    const r = mostRecent(schedule('* * * 1 *'), t('2026-01-01T00:00:00Z'), t('2026-03-10T00:00:00Z'));
    assert.equal(iso(r.time), '2026-01-31T23:59:00.000Z');
  });
});

describe('formatInZone', () => {
  it('RFC 3339 with the zone offset, Z in UTC', () => {
    assert.equal(formatInZone(t('2026-01-01T10:00:00Z'), 'UTC'), '2026-01-01T10:00:00Z');
    assert.equal(formatInZone(t('2026-01-01T10:00:00Z'), 'Europe/Berlin'), '2026-01-01T11:00:00+01:00');
    assert.equal(formatInZone(t('2026-01-01T10:00:00Z'), 'America/New_York'), '2026-01-01T05:00:00-05:00');
    assert.equal(formatInZone(t('2026-01-01T10:00:00Z'), 'Asia/Kolkata'), '2026-01-01T15:30:00+05:30');
  });
});
