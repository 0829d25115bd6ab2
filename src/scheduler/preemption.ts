/**
 * Preemption (Kubernetes' DefaultPreemption PostFilter): when no node fits a pod, find the node
 * where evicting the fewest, least important lower-priority pods makes room, and name those pods.
 *
 *   eligible? (preemptionPolicy, terminating victims on the nominated node)
 *     ─▶ candidates: nodes whose filter status is Unschedulable (not ...AndUnresolvable)
 *     ─▶ per candidate, on a cloned NodeInfo and CycleState, from a random offset, until enough:
 *          remove every lower-priority pod ─▶ does the pod fit? ─▶ reprieve victims, most
 *          important first, keeping each one whose return still leaves room
 *     ─▶ pick one node: fewest PDB violations, lowest top victim priority, smallest priority sum,
 *        fewest victims, latest start of the top victims, then first found
 *
 * This is the pure decision. Evicting the victims (skipping those already being deleted, setting
 * their DisruptionTarget condition) and nominating the node are the scheduling loop's effects.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { fromLabelSelector, matches, type Requirement } from '../api/labels.js';
import { type Clock, systemClock } from '../util/clock.js';
import { FitError } from './fit-error.js';
import type { NodeInfo, PodInfo } from './framework/node-info.js';
import {
  type CycleState,
  type FilterRunner,
  failure,
  fixedStatus,
  type PostFilter,
  type Preemption,
  type Snapshot,
  type Status,
  unresolvable,
} from './framework/types.js';

export interface PreemptionOptions {
  /**
   * Dry-run preemption on at least this percentage of the candidate nodes (Kubernetes'
   * DefaultPreemptionArgs.minCandidateNodesPercentage), 0..100. Default 10.
   */
  minCandidateNodesPercentage?: number;
  /** ...and on at least this many (minCandidateNodesAbsolute). Default 100. */
  minCandidateNodesAbsolute?: number;
  /**
   * The PodDisruptionBudgets to respect, read at each preemption. Shoal does not serve the
   * PodDisruptionBudget kind yet, so by default there are none and no victim violates a budget;
   * wire a lister here when it does.
   */
  podDisruptionBudgets?: () => readonly PodDisruptionBudget[];
  /** An integer in [0, n): where the candidate search starts, so work spreads over the cluster. */
  randomInt?: (n: number) => number;
  /** "Now", the start time of victims whose `status.startTime` is not set. */
  clock?: Pick<Clock, 'now'>;
}

export const NO_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';
const NOT_HELPFUL_STATUS = fixedStatus('UnschedulableAndUnresolvable', NOT_HELPFUL);

/** A node where evicting `victims` (most important first) makes the pod fit. */
interface Candidate {
  node: NodeInfo;
  victims: PodInfo[];
  pdbViolations: number;
}

/** A budget compiled once per preemption: how many more disruptions it allows. */
interface Budget {
  namespace: string;
  selector: Requirement[];
  disruptedPods: Readonly<Record<string, unknown>>;
  allowed: number;
}

export function defaultPreemption(options: PreemptionOptions = {}): PostFilter {
  const percentage = options.minCandidateNodesPercentage ?? 10;
  const absolute = options.minCandidateNodesAbsolute ?? 100;
  if (!Number.isInteger(percentage) || percentage < 0 || percentage > 100)
    throw new Error(
      `preemption: minCandidateNodesPercentage must be an integer in 0..100, got ${percentage}`,
    );
  if (!Number.isInteger(absolute) || absolute < 0)
    throw new Error(`preemption: minCandidateNodesAbsolute must be a non-negative integer, got ${absolute}`);
  if (percentage === 0 && absolute === 0)
    throw new Error('preemption: minCandidateNodesPercentage and minCandidateNodesAbsolute cannot both be 0');
  const budgets = options.podDisruptionBudgets ?? (() => []);
  const randomInt = options.randomInt ?? ((n: number) => Math.floor(Math.random() * n));
  const clock = options.clock ?? systemClock;

  // How many candidates to find before stopping: a share of the candidate nodes, at least
  // `absolute`, at most all of them.
  const candidatesWanted = (nodes: number): number =>
    Math.min(nodes, Math.max(Math.floor((nodes * percentage) / 100), absolute));

  return (state, pod, snapshot, rejected, runner) => {
    const ineligible = notEligible(pod, snapshot, rejected);
    if (ineligible) return { message: `preemption: ${ineligible}` };

    const allNodes = snapshot.nodes;
    if (allNodes.length === 0) return { message: 'preemption: no nodes available' };
    // Only a node that failed with Unschedulable can be helped by removing pods; a node missing
    // from `rejected` was never judged and is not a candidate either.
    const potential = allNodes.filter((n) => rejected.get(n.name)?.code === 'Unschedulable');

    const statuses = new Map<string, Status>();
    const nonViolating: Candidate[] = [];
    const violating: Candidate[] = [];
    const errors: string[] = [];
    if (potential.length > 0) {
      const pdbs = compileBudgets(budgets());
      const offset = randomInt(potential.length);
      const wanted = candidatesWanted(potential.length);
      for (let i = 0; i < potential.length; i++) {
        const node = potential[(offset + i) % potential.length]!;
        const result = selectVictims(state, pod, node, runner, pdbs, clock.now());
        if ('victims' in result) {
          const list = result.pdbViolations === 0 ? nonViolating : violating;
          if (list.length < wanted) list.push(result);
          // Enough candidates, one of them violating no budget: the rest of the cluster can wait.
          if (nonViolating.length > 0 && nonViolating.length + violating.length >= wanted) break;
          continue;
        }
        if (result.code === 'Error') errors.push(...result.reasons);
        statuses.set(node.name, result);
      }
    }

    const candidates = nonViolating.concat(violating);
    if (candidates.length === 0) {
      if (errors.length > 0) return { message: `preemption: ${aggregate(errors)}` };
      // Nodes never tried: their filters said removing pods cannot help.
      for (const n of allNodes) if (!statuses.has(n.name)) statuses.set(n.name, NOT_HELPFUL_STATUS);
      return { message: `preemption: ${new FitError(allNodes.length, statuses).message}` };
    }
    const best = pickCandidate(candidates, clock.now());
    // The contract lists victims lowest priority first: the least important go first.
    const preemption: Preemption = { nodeName: best.node.name, victims: best.victims.slice().reverse() };
    return { preemption, message: '' };
  };
}

/**
 * Why this pod may not preempt, or undefined when it may. A pod that already preempted keeps its
 * nominated node while its victims terminate; preempting again then would evict more pods for
 * one place (unless the nominated node can no longer take the pod at all).
 */
function notEligible(
  pod: PodInfo,
  snapshot: Snapshot,
  rejected: ReadonlyMap<string, Status>,
): string | undefined {
  if (pod.pod.spec?.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
  const nominated = pod.pod.status?.nominatedNodeName;
  if (!nominated || rejected.get(nominated)?.code === 'UnschedulableAndUnresolvable') return undefined;
  const node = snapshot.get(nominated);
  if (!node) return undefined;
  for (const p of node.pods)
    if (p.priority < pod.priority && terminatingByPreemption(p.pod))
      return 'not eligible due to a terminating pod on the nominated node.';
  return undefined;
}

/** Being deleted because the scheduler preempted it (its DisruptionTarget condition says so). */
function terminatingByPreemption(pod: Pod): boolean {
  if (!pod.metadata?.deletionTimestamp) return false;
  const condition = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
  return condition?.status === 'True' && condition.reason === 'PreemptionByScheduler';
}

/**
 * The fewest victims on `node` that make room for `pod`, most important first, or the status
 * saying why there are none. Works on copies: the snapshot and `state` are left as they were.
 */
function selectVictims(
  state: CycleState,
  pod: PodInfo,
  node: NodeInfo,
  runner: FilterRunner,
  pdbs: readonly Budget[],
  now: number,
): Candidate | Status {
  // Only strictly lower priority pods may be evicted; checked before cloning, as most nodes of a
  // cluster full of equal-priority pods have none.
  const potential = node.pods.filter((p) => p.priority < pod.priority);
  if (potential.length === 0) return unresolvable(NO_VICTIMS);

  const copy = node.clone();
  const cycle = state.clone();
  const remove = (victim: PodInfo): Status | undefined => {
    copy.removePod(victim.uid);
    const s = runner.removePod(cycle, pod, victim, copy);
    return s && failure(`removing pod ${victim.namespace}/${victim.name}: ${s.reasons.join(', ')}`);
  };
  for (const victim of potential) {
    const err = remove(victim);
    if (err) return err;
  }
  // Even with every lower-priority pod gone the pod does not fit (the node is too small, or the
  // pod needs affinity to a victim, a case Kubernetes also leaves unsolved).
  const fit = runner.runFilters(cycle, pod, copy);
  if (fit) return fit;

  potential.sort((a, b) => compareImportance(a, b, now));
  const { violating, nonViolating } = partitionByBudgets(potential, pdbs);
  const victims: PodInfo[] = [];
  let pdbViolations = 0;
  // Give back as many pods as still leave room, the budget-protected first, each group from the
  // most important down.
  const reprieve = (p: PodInfo): Status | boolean => {
    copy.addPod(p);
    const s = runner.addPod(cycle, pod, p, copy);
    if (s) return failure(`adding pod ${p.namespace}/${p.name}: ${s.reasons.join(', ')}`);
    if (runner.runFilters(cycle, pod, copy) === undefined) return true;
    const err = remove(p);
    if (err) return err;
    victims.push(p);
    return false;
  };
  for (const p of violating) {
    const kept = reprieve(p);
    if (typeof kept !== 'boolean') return kept;
    if (!kept) pdbViolations++;
  }
  for (const p of nonViolating) {
    const kept = reprieve(p);
    if (typeof kept !== 'boolean') return kept;
  }
  if (victims.length === 0) return failure(`expected at least one victim pod on node "${node.name}"`);
  if (violating.length > 0 && nonViolating.length > 0) victims.sort((a, b) => compareImportance(a, b, now));
  return { node, victims, pdbViolations };
}

/** Negative when `a` is more important: higher priority, then running longer. */
function compareImportance(a: PodInfo, b: PodInfo, now: number): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return startTime(a, now) - startTime(b, now);
}

/** `status.startTime` in ms; a pod not started yet counts as starting now. */
function startTime(p: PodInfo, now: number): number {
  const t = p.pod.status?.startTime;
  const ms = t ? Date.parse(t) : Number.NaN;
  return Number.isNaN(ms) ? now : ms;
}

function compileBudgets(pdbs: readonly PodDisruptionBudget[]): Budget[] {
  const out: Budget[] = [];
  for (const pdb of pdbs) {
    let selector: Requirement[] | undefined;
    try {
      selector = fromLabelSelector(pdb.spec?.selector);
    } catch {
      continue; // an invalid selector matches no pod
    }
    // A nil or empty selector matches no pod either (for budgets, unlike most selectors).
    if (!selector || selector.length === 0) continue;
    out.push({
      namespace: pdb.metadata?.namespace ?? 'default',
      selector,
      disruptedPods: pdb.status?.disruptedPods ?? {},
      allowed: pdb.status?.disruptionsAllowed ?? 0,
    });
  }
  return out;
}

/**
 * Splits pods (order kept) into those whose eviction would take a budget below zero and the rest.
 * Each matching pod uses up one allowed disruption, unless the API server already counted it
 * (it is in the budget's disruptedPods).
 */
function partitionByBudgets(
  pods: readonly PodInfo[],
  pdbs: readonly Budget[],
): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  if (pdbs.length === 0) return { violating: [], nonViolating: pods.slice() };
  const allowed = pdbs.map((b) => b.allowed);
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const p of pods) {
    let violates = false;
    if (Object.keys(p.labels).length > 0) {
      for (let i = 0; i < pdbs.length; i++) {
        const b = pdbs[i]!;
        if (b.namespace !== p.namespace || !matches(b.selector, p.labels)) continue;
        if (Object.hasOwn(b.disruptedPods, p.name)) continue;
        allowed[i]!--;
        if (allowed[i]! < 0) violates = true;
      }
    }
    (violates ? violating : nonViolating).push(p);
  }
  return { violating, nonViolating };
}

/**
 * Kubernetes' order of preference, each criterion breaking the previous one's ties; the first
 * candidate found wins what is left. Victims are most important first.
 */
function pickCandidate(candidates: Candidate[], now: number): Candidate {
  const criteria: ((c: Candidate) => number)[] = [
    (c) => -c.pdbViolations,
    (c) => -c.victims[0]!.priority,
    // Shifted by 2^31 so that more victims of negative priority never sum lower than fewer.
    (c) => -c.victims.reduce((sum, v) => sum + v.priority + 2 ** 31, 0),
    (c) => -c.victims.length,
    (c) => earliestTopStart(c.victims, now),
  ];
  let left = candidates;
  for (const score of criteria) {
    if (left.length === 1) break;
    let max = Number.NEGATIVE_INFINITY;
    let kept: Candidate[] = [];
    for (const c of left) {
      const s = score(c);
      if (s > max) {
        max = s;
        kept = [c];
      } else if (s === max) kept.push(c);
    }
    left = kept;
  }
  return left[0]!;
}

/** The earliest start among the victims of the highest priority: later is better (less work lost). */
function earliestTopStart(victims: readonly PodInfo[], now: number): number {
  let top = Number.NEGATIVE_INFINITY;
  let earliest = Number.POSITIVE_INFINITY;
  for (const v of victims) {
    const t = startTime(v, now);
    if (v.priority > top) {
      top = v.priority;
      earliest = t;
    } else if (v.priority === top && t < earliest) earliest = t;
  }
  return earliest;
}

/** Errors read as Kubernetes' aggregate error: duplicates dropped, one alone, several as "[a, b]". */
function aggregate(errors: readonly string[]): string {
  const unique = [...new Set(errors)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}
