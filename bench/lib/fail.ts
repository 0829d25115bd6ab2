/** How a bench gives up on bad input or a run that cannot finish: `bench: why` on stderr, exit 2. */
export function benchFail(bench: string, why: string): never {
  console.error(`${bench}: ${why}`);
  process.exit(2);
}

/** The flag's text as a positive integer; anything else fails the bench, naming `--name`. */
export function positiveInt(bench: string, name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) benchFail(bench, `--${name} must be a positive integer, got ${text}`);
  return n;
}
