/**
 * When a CronJob's schedule fires: the next time after a given instant, and the most recent time
 * at or before "now" since a given instant, in an IANA time zone (through Intl) or the process's
 * local one. Parsing is the API's (src/api/validation/cron.ts), so the controller accepts exactly
 * what validation accepts.
 *
 * Times are searched on the wall clock of the zone, field by field (month, day, hour, minute), and
 * each match converted to an instant. A wall time the zone skips (a DST spring-forward gap) never
 * fires; a wall time it repeats (fall-back) fires once, at its first occurrence.
 */
import { type CronSchedule, parseCron } from '../../api/validation/cron.js';

export interface Schedule {
  /** The first firing strictly after `after` (ms since the epoch), or undefined if none within 5 years. */
  next(after: number): number | undefined;
}

export type ScheduleParse = { ok: true; schedule: Schedule } | { ok: false; error: string };

/** Parse `spec` (5 fields or a descriptor) for the zone `timeZone` (undefined: the schedule's TZ= prefix, else local). */
export function parseSchedule(spec: string, timeZone?: string): ScheduleParse {
  const parsed = parseCron(spec);
  if (!parsed.ok) return parsed;
  if ('everyMs' in parsed) {
    // robfig/cron's ConstantDelaySchedule: whole seconds, at least one.
    const every = Math.max(1000, Math.floor(parsed.everyMs / 1000) * 1000);
    return { ok: true, schedule: { next: (after) => Math.floor(after / 1000) * 1000 + every } };
  }
  const zone = timeZone ?? parsed.schedule.timeZone;
  return { ok: true, schedule: { next: (after) => nextInZone(parsed.schedule, after, zone) } };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string | undefined): Intl.DateTimeFormat {
  const key = zone ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      ...(zone ? { timeZone: zone } : {}),
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(key, f);
  }
  return f;
}

/** The zone's wall clock at `at` (to the minute), as a UTC timestamp with the same fields. */
export function wallClock(at: number, zone: string | undefined): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(at))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!);
}

/** The zone's offset from UTC at `at`, in minutes (e.g. 60 for CET). */
export function offsetMinutes(at: number, zone: string | undefined): number {
  const minute = Math.floor(at / 60_000) * 60_000;
  return Math.round((wallClock(minute, zone) - minute) / 60_000);
}

/** The earliest instant whose wall clock in `zone` is `wall`, or undefined if the zone skips it. */
function instantOf(wall: number, zone: string | undefined): number | undefined {
  const candidates = new Set<number>();
  for (const probe of [wall - 36 * 3_600_000, wall, wall + 36 * 3_600_000]) {
    candidates.add(wall - offsetMinutes(probe, zone) * 60_000);
  }
  const hits = [...candidates].filter((t) => wallClock(t, zone) === wall).sort((a, b) => a - b);
  return hits[0];
}

function dayMatches(s: CronSchedule, wall: Date): boolean {
  const dom = s.daysOfMonth.includes(wall.getUTCDate());
  const dow = s.daysOfWeek.includes(wall.getUTCDay());
  // robfig/cron: with either field a star both must match, otherwise either may.
  return s.domStar || s.dowStar ? dom && dow : dom || dow;
}

const FIVE_YEARS_MS = 5 * 366 * 24 * 3_600_000;
const MAX_STEPS = 100_000;

function nextInZone(s: CronSchedule, after: number, zone: string | undefined): number | undefined {
  // Wall times are visited in order; an instant can be earlier than `after` around a fall-back.
  let wall = wallClock(after, zone) + 60_000;
  const end = wall + FIVE_YEARS_MS;
  for (let step = 0; step < MAX_STEPS && wall <= end; step++) {
    const d = new Date(wall);
    const y = d.getUTCFullYear();
    const mo = d.getUTCMonth();
    const day = d.getUTCDate();
    const h = d.getUTCHours();
    if (!s.months.includes(mo + 1)) {
      wall = Date.UTC(y, mo + 1, 1);
    } else if (!dayMatches(s, d)) {
      wall = Date.UTC(y, mo, day + 1);
    } else if (!s.hours.includes(h)) {
      wall = Date.UTC(y, mo, day, h + 1);
    } else if (!s.minutes.includes(d.getUTCMinutes())) {
      wall += 60_000;
    } else {
      const at = instantOf(wall, zone);
      if (at !== undefined && at > after) return at;
      wall += 60_000;
    }
  }
  return undefined;
}

/** The schedule's firings in (earliest, now]: the latest of them and how many there were. */
export interface MostRecent {
  /** The latest firing at or before now, if any. */
  time?: number;
  /** How many firings there were, counted up to `MISSED_LIMIT` + 1 (more is "too many"). */
  missed: number;
}

/** Kubernetes warns (TooManyMissedTimes) beyond this many missed start times. */
export const MISSED_LIMIT = 100;

export function mostRecent(schedule: Schedule, earliest: number, now: number): MostRecent {
  let t = schedule.next(earliest);
  if (t === undefined || t > now) return { missed: 0 };
  let missed = 1;
  for (; missed <= MISSED_LIMIT; missed++) {
    const n = schedule.next(t);
    if (n === undefined || n > now) return { time: t, missed };
    t = n;
  }
  // Too many to walk one by one: look back from now over a window that grows until it holds a
  // firing, then walk from there.
  let window = Math.max(60_000, t - earliest);
  for (let i = 0; i < 64; i++, window *= 2) {
    const from = Math.max(t, now - window);
    const first = schedule.next(from - 1);
    if (first === undefined || first > now) continue;
    let latest = first;
    for (let step = 0; step < MAX_STEPS; step++) {
      const n = schedule.next(latest);
      if (n === undefined || n > now) break;
      latest = n;
    }
    return { time: latest, missed };
  }
  return { time: t, missed };
}

/** RFC 3339 in `zone` (Go's time.RFC3339), e.g. "2026-01-02T03:04:00+01:00" or "...Z" in UTC. */
export function formatInZone(at: number, zone: string | undefined): string {
  const offset = offsetMinutes(at, zone);
  const wall = new Date(Math.floor(at / 1000) * 1000 + offset * 60_000).toISOString().slice(0, 19);
  if (offset === 0) return `${wall}Z`;
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${wall}${offset < 0 ? '-' : '+'}${hh}:${mm}`;
}
