/**
 * The cron dialect CronJob schedules use (robfig/cron v3's standard parser, as Kubernetes uses
 * it): five fields — minute, hour, day of month, month, day of week — with `*`, `?`, ranges,
 * steps, lists and month/day names, or a descriptor (@yearly, @annually, @monthly, @weekly,
 * @daily, @midnight, @hourly, @every <duration>). Errors carry the parser's own messages, which
 * Kubernetes shows verbatim.
 */

export interface CronSchedule {
  /** Allowed values per field, as sorted lists. */
  minutes: number[];
  hours: number[];
  daysOfMonth: number[];
  months: number[];
  daysOfWeek: number[];
  /** A field was `*` or `?` (matters for day-of-month vs day-of-week matching). */
  domStar: boolean;
  dowStar: boolean;
  /** The location from a TZ=/CRON_TZ= prefix, when one was given. */
  timeZone?: string;
}

export type CronParse =
  | { ok: true; schedule: CronSchedule }
  | { ok: true; everyMs: number; timeZone?: string }
  | { ok: false; error: string };

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
  min: 1,
  max: 12,
  names: {
    jan: 1,
    feb: 2,
    mar: 3,
    apr: 4,
    may: 5,
    jun: 6,
    jul: 7,
    aug: 8,
    sep: 9,
    oct: 10,
    nov: 11,
    dec: 12,
  },
};
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

class CronError extends Error {}

/** Go's strconv.Atoi, with its error text. */
function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s))
    throw new CronError(
      `failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`,
    );
  const n = Number(s);
  if (!Number.isSafeInteger(n)) {
    throw new CronError(
      `failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`,
    );
  }
  return n;
}

function mustParseInt(expr: string): number {
  const n = atoi(expr);
  if (n < 0) throw new CronError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names?: Record<string, number>): number {
  const named = names?.[expr.toLowerCase()];
  return named !== undefined ? named : mustParseInt(expr);
}

function getRange(expr: string, r: Bounds, out: Set<number>): boolean {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  const singleDigit = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, r.names);
    else throw new CronError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    if (singleDigit) end = r.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new CronError(`too many slashes: ${expr}`);
  }
  if (start < r.min) throw new CronError(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new CronError(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronError(`step of range should be a positive number: ${expr}`);
  for (let v = start; v <= end; v += step) out.add(v);
  return star;
}

function getField(fieldText: string, r: Bounds): { values: number[]; star: boolean } {
  const out = new Set<number>();
  let star = false;
  for (const expr of fieldText.split(',').filter((s) => s !== '')) star = getRange(expr, r, out) || star;
  return { values: [...out].sort((a, b) => a - b), star };
}

/** Go's time.ParseDuration, enough for "@every 1h30m", "@every 90s", "@every 1.5h". */
function parseGoDuration(s: string): number | undefined {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    μs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  if (s === '0') return 0;
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (!m) return undefined;
  let total = 0;
  for (const part of s.replace(/^[-+]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * units[part[2]!]!;
  }
  return m[1] === '-' ? -total : total;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Parse a CronJob schedule; on failure `error` is the message Kubernetes reports. */
export function parseCron(
  specIn: string,
  isValidTimeZone: (tz: string) => boolean = defaultTimeZoneCheck,
): CronParse {
  let spec = specIn;
  if (spec.length === 0) return { ok: false, error: 'empty spec string' };
  let timeZone: string | undefined;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    const loc = i < 0 ? spec.slice(eq + 1) : spec.slice(eq + 1, i);
    if (!isValidTimeZone(loc))
      return { ok: false, error: `provided bad location ${loc}: unknown time zone ${loc}` };
    timeZone = loc;
    spec = i < 0 ? '' : spec.slice(i).trim();
  }
  if (spec.startsWith('@')) {
    const every = '@every ';
    if (spec.startsWith(every)) {
      const ms = parseGoDuration(spec.slice(every.length));
      if (ms === undefined) {
        return {
          ok: false,
          error: `failed to parse duration ${spec}: time: invalid duration ${JSON.stringify(spec.slice(every.length))}`,
        };
      }
      return { ok: true, everyMs: ms, ...(timeZone ? { timeZone } : {}) };
    }
    const expanded = DESCRIPTORS[spec];
    if (!expanded) return { ok: false, error: `unrecognized descriptor: ${spec}` };
    spec = expanded;
  }
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) {
    return { ok: false, error: `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]` };
  }
  try {
    const minute = getField(fields[0]!, MINUTES);
    const hour = getField(fields[1]!, HOURS);
    const dom = getField(fields[2]!, DOM);
    const month = getField(fields[3]!, MONTHS);
    const dow = getField(fields[4]!, DOW);
    return {
      ok: true,
      schedule: {
        minutes: minute.values,
        hours: hour.values,
        daysOfMonth: dom.values,
        months: month.values,
        daysOfWeek: dow.values,
        domStar: dom.star,
        dowStar: dow.star,
        ...(timeZone ? { timeZone } : {}),
      },
    };
  } catch (err) {
    if (err instanceof CronError) return { ok: false, error: err.message };
    throw err;
  }
}

/** Whether the IANA time zone database (as Node's ICU has it) knows a zone. */
export function defaultTimeZoneCheck(tz: string): boolean {
  if (tz === 'UTC' || tz === 'Local') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
