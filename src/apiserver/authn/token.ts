/**
 * Bearer-token authentication: a `TokenAuthenticator` maps a token to a user. Implementations:
 *
 * - `StaticTokenAuthenticator`: a fixed set, from Kubernetes' `--token-auth-file` CSV format
 *   (`token,user,uid,"group1,group2"`) or added in code (service-account tokens, later).
 * - `joinTokenAuthenticator`: the node join token (see ../pki/join-token.ts), which authenticates
 *   as `system:bootstrap:<id>` in group `system:bootstrappers`, as a kubeadm bootstrap token does,
 *   so that an agent can request its node credential and nothing else.
 * - `unionTokenAuthenticator`: the first of several that knows the token.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { BOOTSTRAPPERS_GROUP } from '../../pki/identities.js';
import {
  checkJoinToken,
  type JoinToken,
  JoinTokenError,
  parseJoinToken,
  type StoredJoinToken,
} from '../../pki/join-token.js';
import type { UserInfo } from '../http-types.js';

export interface TokenAuthenticator {
  /** The user `token` belongs to, or undefined when this authenticator does not know it. */
  authenticate(token: string): Promise<UserInfo | undefined>;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * A fixed table of tokens. Tokens are kept and looked up by their SHA-256, so the lookup's timing
 * tells nothing about how much of a guessed token was right, and a heap dump shows no token.
 */
export class StaticTokenAuthenticator implements TokenAuthenticator {
  private readonly users = new Map<string, UserInfo>();

  constructor(entries: Iterable<readonly [token: string, user: UserInfo]> = []) {
    for (const [token, user] of entries) this.add(token, user);
  }

  add(token: string, user: UserInfo): void {
    if (!token) throw new Error('a static token may not be empty');
    this.users.set(sha256(token), { ...user, groups: [...user.groups] });
  }

  remove(token: string): boolean {
    return this.users.delete(sha256(token));
  }

  get size(): number {
    return this.users.size;
  }

  async authenticate(token: string): Promise<UserInfo | undefined> {
    const user = this.users.get(sha256(token));
    return user && { ...user, groups: [...user.groups] };
  }

  /**
   * Parse Kubernetes' token file: one `token,user,uid[,"group1,group2"]` per line; blank lines
   * and lines starting with `#` are skipped. Throws naming the line of a malformed entry.
   */
  static parseCsv(text: string): StaticTokenAuthenticator {
    const auth = new StaticTokenAuthenticator();
    const lines = text.split(/\r?\n/);
    lines.forEach((line, i) => {
      if (line.trim() === '' || line.trimStart().startsWith('#')) return;
      const fields = parseCsvLine(line, i + 1);
      const [token, username, uid, groups] = fields.map((f) => f.trim());
      if (!token || !username || fields.length < 3) {
        throw new Error(`token file line ${i + 1}: expected token,user,uid[,"group1,group2"]`);
      }
      auth.add(token, {
        username,
        ...(uid ? { uid } : {}),
        groups: (groups ?? '')
          .split(',')
          .map((g) => g.trim())
          .filter(Boolean),
      });
    });
    return auth;
  }

  /** Load a token file; a missing file gives an empty authenticator when `optional`. */
  static async fromFile(path: string, opts: { optional?: boolean } = {}): Promise<StaticTokenAuthenticator> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (opts.optional && (err as NodeJS.ErrnoException).code === 'ENOENT')
        return new StaticTokenAuthenticator();
      throw err;
    }
    return StaticTokenAuthenticator.parseCsv(text);
  }
}

/** One CSV record (RFC 4180 quoting: `"a,b"` and `""` inside quotes). */
function parseCsvLine(line: string, lineNo: number): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new Error(`token file line ${lineNo}: unterminated quote`);
  out.push(cur);
  return out;
}

/**
 * Authenticates the node join token, given as the whole `SHOAL1::...` text or as `<id>.<secret>`.
 * `stored` is read on every call, so a rotated token takes effect at once.
 */
export function joinTokenAuthenticator(stored: () => StoredJoinToken | undefined): TokenAuthenticator {
  return {
    async authenticate(token) {
      const s = stored();
      if (!s) return undefined;
      let t: JoinToken;
      try {
        t = token.startsWith('SHOAL1::')
          ? parseJoinToken(token)
          : parseJoinToken(`SHOAL1::${s.caHash}::${token}`);
      } catch (err) {
        if (err instanceof JoinTokenError) return undefined;
        throw err;
      }
      if (checkJoinToken(t, s) !== 'ok') return undefined;
      return { username: `system:bootstrap:${t.id}`, groups: [BOOTSTRAPPERS_GROUP] };
    },
  };
}

/** The first answer of several authenticators, tried in order. */
export function unionTokenAuthenticator(list: TokenAuthenticator[]): TokenAuthenticator {
  return {
    async authenticate(token) {
      for (const a of list) {
        const user = await a.authenticate(token);
        if (user) return user;
      }
      return undefined;
    },
  };
}
