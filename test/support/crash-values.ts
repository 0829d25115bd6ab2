/** The value the crash writer stores for write `n` of a round; some are large so a torn write would show. */
export function valueFor(round: string, n: number): string {
  const size = n % 50 === 0 ? 200_000 : 300;
  return `${round}:${n}:`.padEnd(size, String.fromCharCode(97 + (n % 26)));
}
