import { InvalidArgumentError } from 'commander';

/** A number flag's value; `FLAG: expected WHAT, got "TEXT"` (InvalidArgumentError) when `ok` refuses it. */
export function numberFlag(text: string, flag: string, what: string, ok: (n: number) => boolean): number {
  const n = text.trim() === '' ? Number.NaN : Number(text);
  if (!ok(n)) throw new InvalidArgumentError(`${flag}: expected ${what}, got ${JSON.stringify(text)}`);
  return n;
}
