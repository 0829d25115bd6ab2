/**
 * Kubernetes resource quantities ("500m", "1.5", "128Mi", "1G", "1e3"), parsed exactly as
 * apimachinery's `resource.ParseQuantity` does, so that the API server, the scheduler and the
 * agent agree on what a request or limit means.
 *
 *   <quantity>        ::= <signedNumber><suffix>
 *   <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
 *   <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
 *   <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
 *   <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
 *   <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
 *
 * Values are kept exactly (as a count of nano-units in a bigint, rounded up as Kubernetes rounds
 * sub-nano precision up), so comparisons never suffer from floating point.
 */

/** The messages apimachinery gives for a malformed quantity. */
export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity';

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface ParsedQuantity {
  negative: boolean;
  /** |value| in units of 10^-9, rounded up. */
  nanos: bigint;
  format: QuantityFormat;
}

const SHAPE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const SHAPE_LOOSE = /^[+-]?[0-9.]+[eEinumkKMGTP]*[-+]?[0-9]*$/;

const DECIMAL_SUFFIX: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
/** Exponents beyond this are refused rather than expanded into enormous integers. */
const MAX_EXPONENT = 300;

const NANO = 10n ** 9n;

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Parse to the exact representation, or say why not (with apimachinery's message). */
export function parseQuantityExact(input: unknown): ParsedQuantity | { error: string } {
  let s: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { error: QUANTITY_FORMAT_ERROR };
    s = String(input);
  } else if (typeof input === 'string') {
    s = input;
  } else {
    return { error: QUANTITY_FORMAT_ERROR };
  }
  if (s.length === 0) return { error: QUANTITY_FORMAT_ERROR };
  const m = SHAPE.exec(s);
  if (!m) return { error: SHAPE_LOOSE.test(s) ? QUANTITY_NUMERIC_ERROR : QUANTITY_FORMAT_ERROR };
  const [, sign, number, suffix] = m as unknown as [string, string, string, string];

  let format: QuantityFormat;
  let exp10 = 0;
  let exp1024 = 0;
  if (suffix in BINARY_SUFFIX) {
    format = 'BinarySI';
    exp1024 = BINARY_SUFFIX[suffix]!;
  } else if (suffix in DECIMAL_SUFFIX) {
    format = 'DecimalSI';
    exp10 = DECIMAL_SUFFIX[suffix]!;
  } else if (/^[eE][-+]?\d+$/.test(suffix)) {
    format = 'DecimalExponent';
    exp10 = Number.parseInt(suffix.slice(1), 10);
    if (Math.abs(exp10) > MAX_EXPONENT) return { error: QUANTITY_NUMERIC_ERROR };
  } else {
    return { error: QUANTITY_SUFFIX_ERROR };
  }

  const dot = number.indexOf('.');
  const intPart = dot >= 0 ? number.slice(0, dot) : number;
  const fracPart = dot >= 0 ? number.slice(dot + 1) : '';
  const digits = BigInt(intPart + fracPart || '0');
  // value = digits * 10^(exp10 - frac) * 1024^exp1024; in nanos: * 10^9, rounded up.
  const numerator = digits * 1024n ** BigInt(exp1024);
  const scale = exp10 - fracPart.length + 9;
  let nanos: bigint;
  if (scale >= 0) {
    nanos = numerator * pow10(scale);
  } else {
    const div = pow10(-scale);
    nanos = numerator / div;
    if (numerator % div !== 0n) nanos += 1n;
  }
  return { negative: sign === '-' && nanos !== 0n, nanos, format };
}

function exact(input: unknown): ParsedQuantity | undefined {
  const q = parseQuantityExact(input);
  return 'error' in q ? undefined : q;
}

/** Why a quantity is malformed (apimachinery's message), or undefined when it is fine. */
export function quantityError(input: unknown): string | undefined {
  const q = parseQuantityExact(input);
  return 'error' in q ? q.error : undefined;
}

/** The quantity's value in base units (cores, bytes, ...): "500m" → 0.5, "128Mi" → 134217728. */
export function parseQuantity(input: unknown): number | undefined {
  const q = exact(input);
  if (!q) return undefined;
  const whole = Number(q.nanos / NANO);
  const frac = Number(q.nanos % NANO) / 1e9;
  const v = whole + frac;
  return q.negative ? -v : v;
}

/** Kubernetes' `MilliValue()`: the value in thousandths, rounded up ("0.1" → 100, "1" → 1000). */
export function quantityMilliValue(input: unknown): number | undefined {
  return scaledCeil(input, 6n);
}

/** Kubernetes' `Value()`: the value rounded up to an integer ("1.5" → 2, "128Mi" → 134217728). */
export function quantityValue(input: unknown): number | undefined {
  return scaledCeil(input, 9n);
}

function scaledCeil(input: unknown, digits: bigint): number | undefined {
  const q = exact(input);
  if (!q) return undefined;
  const div = 10n ** digits;
  let v = q.nanos / div;
  if (q.negative) return -Number(v);
  if (q.nanos % div !== 0n) v += 1n;
  return Number(v);
}

/** -1, 0 or 1 as a < b, a = b, a > b; undefined when either is malformed. */
export function compareQuantities(a: unknown, b: unknown): -1 | 0 | 1 | undefined {
  const qa = exact(a);
  const qb = exact(b);
  if (!qa || !qb) return undefined;
  const va = qa.negative ? -qa.nanos : qa.nanos;
  const vb = qb.negative ? -qb.nanos : qb.nanos;
  return va < vb ? -1 : va > vb ? 1 : 0;
}

const DECIMAL_BY_EXP: Record<number, string> = {
  [-9]: 'n',
  [-6]: 'u',
  [-3]: 'm',
  0: '',
  3: 'k',
  6: 'M',
  9: 'G',
  12: 'T',
  15: 'P',
  18: 'E',
};
const BINARY_BY_EXP = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/**
 * The canonical form Kubernetes serializes and prints a quantity in (`Quantity.String()`):
 * "1000m" → "1", "0.5" → "500m", "1024Mi" → "1Gi", "1.5Gi" → "1536Mi", "1e3" → "1e3".
 */
export function canonicalQuantity(input: unknown): string | undefined {
  const q = exact(input);
  if (!q) return undefined;
  if (q.nanos === 0n) return '0';
  const sign = q.negative ? '-' : '';
  let format = q.format;
  if (format === 'BinarySI') {
    if (q.nanos < 1024n * NANO || q.nanos % NANO !== 0n) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let n = q.nanos / NANO;
    let k = 0;
    while (k < 6 && n % 1024n === 0n) {
      n /= 1024n;
      k++;
    }
    return `${sign}${n}${BINARY_BY_EXP[k]}`;
  }
  let mantissa = q.nanos;
  let e = -9;
  while (e < 18 && mantissa % 1000n === 0n) {
    mantissa /= 1000n;
    e += 3;
  }
  if (format === 'DecimalExponent') return `${sign}${mantissa}${e === 0 ? '' : `e${e}`}`;
  return `${sign}${mantissa}${DECIMAL_BY_EXP[e]}`;
}
