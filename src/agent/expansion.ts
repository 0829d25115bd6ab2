/**
 * Kubernetes' `$(VAR)` expansion, as used in env values, command/args and `subPathExpr`:
 * `$(NAME)` becomes the value `lookup` gives; `$$` is an escaped `$`; an unclosed `$(` and a `$`
 * before any other character are kept as written. What `lookup` returns for an unknown name is
 * the caller's choice (env keeps the reference literally; subPathExpr reports it missing).
 */
export function expandVars(input: string, lookup: (name: string) => string): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const dollar = input.indexOf('$', i);
    // A trailing `$` has nothing after it to form an expression: it stays as it is.
    if (dollar < 0 || dollar === input.length - 1) break;
    out += input.slice(i, dollar);
    const next = input[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '(') {
      const close = input.indexOf(')', dollar + 2);
      if (close < 0) {
        out += '$(';
        i = dollar + 2;
      } else {
        out += lookup(input.slice(dollar + 2, close));
        i = close + 1;
      }
    } else {
      out += `$${next}`;
      i = dollar + 2;
    }
  }
  return out + input.slice(i);
}

/** The lookup env values use: known names expand, unknown references stay literally. */
export function literalIfUnknown(vars: ReadonlyMap<string, string>): (name: string) => string {
  return (name) => vars.get(name) ?? `$(${name})`;
}
