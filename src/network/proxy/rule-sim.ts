/**
 * A tiny interpreter of the rules `computeRules` writes, for its tests: it walks one packet
 * through our nat chains (then, when nothing DNATed it, our filter chains) and returns every
 * outcome with its probability, branching at `-m statistic`. It understands exactly the matches
 * and targets the proxy uses; anything else throws, so a new kind of rule needs teaching here.
 * Tests then state behaviour ("a pod calling the VIP reaches both endpoints, unmasqueraded")
 * rather than rule text.
 */
import { containsAddress, parseIPv4, tryParseCidr } from '../../util/ipv4.js';
import type { ProxyRules } from './rules.js';

export interface SimPacket {
  src: string;
  dst: string;
  dport: number;
  protocol?: string;
  /** The node's own addresses (`addrtype LOCAL`); 127.0.0.0/8 always is. */
  localAddresses: readonly string[];
  /** `-m recent` lists that already hold the source address. */
  recent?: readonly string[];
}

export interface SimOutcome {
  probability: number;
  /** `ip:port` when DNATed. */
  dnat?: string;
  masquerade: boolean;
  /** The filter verdict for a packet that was not DNATed: REJECT, DROP or ACCEPT. */
  filter?: string;
  /** `-m recent --set` lists the source was added to. */
  remembered: string[];
}

interface State {
  probability: number;
  masquerade: boolean;
  remembered: string[];
  verdict?: string;
  dnat?: string;
}

type Chains = Map<string, string[][]>;

export function simulate(rules: ProxyRules, prefix: string, packet: SimPacket): SimOutcome[] {
  const nat = parseTable(rules.nat.rules);
  const filter = parseTable(rules.filter.rules);
  const start: State = { probability: 1, masquerade: false, remembered: [] };
  const outcomes: SimOutcome[] = [];
  for (const natOut of walk(nat, `${prefix}-SERVICES`, 0, packet, start)) {
    if (natOut.dnat) {
      outcomes.push({
        probability: natOut.probability,
        dnat: natOut.dnat,
        masquerade: natOut.masquerade,
        remembered: natOut.remembered,
      });
      continue;
    }
    for (const f of walk(filter, `${prefix}-SERVICES`, 0, packet, natOut))
      outcomes.push({
        probability: f.probability,
        masquerade: f.masquerade,
        remembered: f.remembered,
        ...(f.verdict ? { filter: f.verdict } : {}),
      });
  }
  return outcomes;
}

/** Outcomes grouped by where the packet went: `ip:port`, `REJECT`, `DROP` or `none`. */
export function destinations(
  outcomes: SimOutcome[],
): Map<string, { probability: number; masquerade: boolean }> {
  const by = new Map<string, { probability: number; masquerade: boolean }>();
  for (const o of outcomes) {
    const key = o.dnat ?? o.filter ?? 'none';
    const seen = by.get(key);
    if (seen && seen.masquerade !== o.masquerade) throw new Error(`${key}: masquerade differs between paths`);
    by.set(key, { probability: (seen?.probability ?? 0) + o.probability, masquerade: o.masquerade });
  }
  return by;
}

function parseTable(lines: string[]): Chains {
  const chains: Chains = new Map();
  for (const line of lines) {
    const tokens = tokenize(line);
    if (tokens[0] !== '-A' || !tokens[1]) throw new Error(`not an -A rule: ${line}`);
    chains.set(tokens[1], [...(chains.get(tokens[1]) ?? []), tokens.slice(2)]);
  }
  return chains;
}

function tokenize(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/** Outcomes of walking `chain` from rule `index`: with a verdict, or without (fell off the end / RETURN). */
function walk(chains: Chains, chain: string, index: number, packet: SimPacket, state: State): State[] {
  const rules = chains.get(chain) ?? [];
  const rule = rules[index];
  if (!rule) return [state];
  const { probability, target, targetArgs, sets } = evaluate(rule, packet);
  const out: State[] = [];
  if (probability < 1)
    out.push(
      ...walk(chains, chain, index + 1, packet, {
        ...state,
        probability: state.probability * (1 - probability),
      }),
    );
  if (probability === 0) return out;
  const matched: State = {
    ...state,
    probability: state.probability * probability,
    remembered: [...state.remembered, ...sets],
  };
  const next = (s: State) => walk(chains, chain, index + 1, packet, s);
  switch (target) {
    case 'RETURN':
      out.push(matched);
      break;
    case 'DNAT':
      out.push({ ...matched, verdict: 'DNAT', dnat: argAfter(targetArgs, '--to-destination') });
      break;
    case 'MARK':
      out.push(...next({ ...matched, masquerade: true }));
      break;
    case 'REJECT':
    case 'DROP':
    case 'ACCEPT':
      out.push({ ...matched, verdict: target });
      break;
    default:
      if (!chains.has(target) && !target.includes('-')) throw new Error(`unknown target ${target}`);
      for (const s of walk(chains, target, 0, packet, matched)) out.push(...(s.verdict ? [s] : next(s)));
  }
  return out;
}

function evaluate(
  rule: string[],
  packet: SimPacket,
): { probability: number; target: string; targetArgs: string[]; sets: string[] } {
  let probability = 1;
  let negate = false;
  const sets: string[] = [];
  let recentName = '';
  const local = (ip: string) => ip.startsWith('127.') || packet.localAddresses.includes(ip);
  const test = (ok: boolean) => {
    if (ok === negate) probability = 0;
    negate = false;
  };
  for (let i = 0; i < rule.length; i++) {
    const token = rule[i]!;
    const value = rule[i + 1] ?? '';
    switch (token) {
      case '!':
        negate = true;
        break;
      case '-m':
      case '--comment':
      case '--mode':
      case '--seconds':
        i++;
        break;
      case '--reap':
        break;
      case '-s':
      case '-d': {
        const cidr = tryParseCidr(value.includes('/') ? value : `${value}/32`);
        if (!cidr) throw new Error(`bad address ${value}`);
        test(containsAddress(cidr, token === '-s' ? packet.src : packet.dst));
        i++;
        break;
      }
      case '--src-range': {
        const [from, to] = value.split('-').map((a) => parseIPv4(a));
        const src = parseIPv4(packet.src);
        if (from === undefined || to === undefined || src === undefined)
          throw new Error(`bad range ${value}`);
        test(src >= from && src <= to);
        i++;
        break;
      }
      case '-p':
        test(value === (packet.protocol ?? 'tcp'));
        i++;
        break;
      case '--dport':
        test(Number(value) === packet.dport);
        i++;
        break;
      case '--dst-type':
      case '--src-type':
        if (value !== 'LOCAL') throw new Error(`addrtype ${value} not simulated`);
        test(local(token === '--dst-type' ? packet.dst : packet.src));
        i++;
        break;
      case '--probability':
        if (negate) throw new Error('negated statistic not simulated');
        probability *= Number(value);
        i++;
        break;
      case '--name':
        recentName = value;
        i++;
        break;
      case '--rcheck':
        test((packet.recent ?? []).includes(recentName));
        break;
      case '--set':
        sets.push(recentName);
        break;
      case '-j':
        return { probability, target: value, targetArgs: rule.slice(i + 2), sets };
      default:
        throw new Error(`rule token ${token} not simulated: ${rule.join(' ')}`);
    }
  }
  throw new Error(`rule without a target: ${rule.join(' ')}`);
}

function argAfter(args: string[], flag: string): string {
  const at = args.indexOf(flag);
  if (at < 0 || !args[at + 1]) throw new Error(`missing ${flag} in ${args.join(' ')}`);
  return args[at + 1]!;
}
