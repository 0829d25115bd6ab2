/**
 * The scheduler's picture of the cluster: every node with the pods assigned to it, kept current
 * incrementally from the informers' events (never rebuilt per pod), plus the pods the scheduler
 * has just placed and is still binding ("assumed"): they count on their node at once, so the
 * next pod sees the room they take, while the `pods/binding` request is in flight. The informer
 * showing the pod bound confirms it; a failed binding forgets it.
 *
 * A scheduling cycle runs synchronously in one JavaScript turn, so no event can change the cache
 * in the middle of one: the live cache is the cycle's snapshot (it implements `Snapshot`).
 * Plugins must treat it as read-only.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Requirement } from '../api/labels.js';
import { type ImageCountingSnapshot, normalizeImageName } from './framework/images.js';
import { NodeInfo, PodInfo } from './framework/node-info.js';
import { type AntiAffinityGroup, type PodIndex, PodIndexer, type SelectorCount } from './pod-index.js';

interface CachedPod {
  info: PodInfo;
  nodeName: string;
  /** Placed by this scheduler, binding not yet seen through the informer. */
  assumed: boolean;
}

/** Succeeded and Failed pods hold no resources. */
function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export class SchedulerCache implements ImageCountingSnapshot, PodIndex {
  /** Every node name known from a Node object or from pods assigned to it. */
  private readonly infos = new Map<string, NodeInfo>();
  /** Nodes whose Node object exists, in the order they arrived (and the same as a set). */
  private readonly present: NodeInfo[] = [];
  private readonly live = new Set<NodeInfo>();
  private readonly pods = new Map<string, CachedPod>();
  private readonly affinityNodes = new Set<NodeInfo>();
  private readonly antiAffinityNodes = new Set<NodeInfo>();
  private affinityList: NodeInfo[] | undefined;
  private antiAffinityList: NodeInfo[] | undefined;
  private readonly namespaces = new Map<string, Readonly<Record<string, string>>>();
  /** How many present nodes hold each image (normalized name), for ImageLocality's spread factor. */
  private readonly imageNodes = new Map<string, number>();
  /** Counts for the cluster-wide plugins, kept current with every change below. */
  private readonly index = new PodIndexer(
    () => this.infos.values(),
    (info) => this.live.has(info),
    () => this.present,
  );

  // ---- Snapshot --------------------------------------------------------------------------------

  get nodes(): readonly NodeInfo[] {
    return this.present;
  }

  get(nodeName: string): NodeInfo | undefined {
    const info = this.infos.get(nodeName);
    return info && this.live.has(info) ? info : undefined;
  }

  get nodesWithAffinityPods(): readonly NodeInfo[] {
    this.affinityList ??= [...this.affinityNodes];
    return this.affinityList;
  }

  get nodesWithRequiredAntiAffinityPods(): readonly NodeInfo[] {
    this.antiAffinityList ??= [...this.antiAffinityNodes];
    return this.antiAffinityList;
  }

  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined {
    return this.namespaces.get(namespace);
  }

  imageNodeCount(normalizedImage: string): number {
    return this.imageNodes.get(normalizedImage) ?? 0;
  }

  // ---- PodIndex --------------------------------------------------------------------------------

  selectorCount(
    namespace: string,
    selector: readonly Requirement[],
    skipTerminating: boolean,
  ): SelectorCount {
    return this.index.selectorCount(namespace, selector, skipTerminating);
  }

  topologyNodes(key: string): ReadonlyMap<string, number> {
    return this.index.topologyNodes(key);
  }

  antiAffinityGroups(): Iterable<AntiAffinityGroup> {
    return this.index.antiAffinityGroups();
  }

  get scoringAffinityPods(): number {
    return this.index.scoringAffinityPods;
  }

  // ---- nodes -----------------------------------------------------------------------------------

  /** A Node was added or changed. */
  setNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    let info = this.infos.get(name);
    if (!info) {
      info = new NodeInfo();
      this.infos.set(name, info);
    }
    const live = this.live.has(info);
    const images = live ? info.imageSizes : undefined;
    if (live) this.index.nodeLeaving(info);
    info.setNode(node);
    // A heartbeat keeps the node's image map: nothing to recount.
    if (info.imageSizes !== images) {
      if (images) this.countImages(images, -1);
      this.countImages(info.imageSizes, 1);
    }
    if (!live) {
      this.live.add(info);
      this.present.push(info);
      this.trackAffinity(info);
    }
    this.index.nodeJoining(info);
  }

  /** A Node is gone. Pods still assigned to it keep counting until they are deleted too. */
  removeNode(name: string): void {
    const info = this.infos.get(name);
    if (!info || !this.live.has(info)) return;
    this.index.nodeLeaving(info);
    this.live.delete(info);
    this.countImages(info.imageSizes, -1);
    this.present.splice(this.present.indexOf(info), 1);
    this.trackAffinity(info);
    if (info.pods.length === 0) this.infos.delete(name);
  }

  private countImages(imageSizes: ReadonlyMap<string, number>, delta: 1 | -1): void {
    const seen = new Set<string>();
    for (const name of imageSizes.keys()) {
      const image = normalizeImageName(name);
      if (seen.has(image)) continue; // one image under several names counts once
      seen.add(image);
      const n = (this.imageNodes.get(image) ?? 0) + delta;
      if (n > 0) this.imageNodes.set(image, n);
      else this.imageNodes.delete(image);
    }
  }

  // ---- pods ------------------------------------------------------------------------------------

  /**
   * An assigned pod was added or changed (informer). Confirms an assumed pod; a terminal pod is
   * removed, as it no longer holds resources.
   */
  setPod(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const nodeName = pod.spec?.nodeName;
    if (!nodeName || isTerminal(pod)) {
      this.removePod(uid);
      return;
    }
    const cached = this.pods.get(uid);
    if (cached) this.detach(uid, cached);
    this.attach(uid, { info: new PodInfo(pod), nodeName, assumed: false });
  }

  /** An assigned pod is gone (deleted, or no longer selected because it finished). */
  removePod(uid: string): void {
    const cached = this.pods.get(uid);
    if (cached) {
      this.detach(uid, cached);
      this.pods.delete(uid);
    }
  }

  /** The scheduler placed `info` on `nodeName`; it counts there until confirmed or forgotten. */
  assume(info: PodInfo, nodeName: string): void {
    const cached = this.pods.get(info.uid);
    if (cached) this.detach(info.uid, cached);
    this.attach(info.uid, { info, nodeName, assumed: true });
  }

  /** The binding failed: the assumed pod no longer counts. False when it was not assumed. */
  forget(uid: string): boolean {
    const cached = this.pods.get(uid);
    if (!cached?.assumed) return false;
    this.removePod(uid);
    return true;
  }

  isAssumed(uid: string): boolean {
    return this.pods.get(uid)?.assumed === true;
  }

  /** The node a pod counts on (assigned or assumed). */
  nodeOf(uid: string): string | undefined {
    return this.pods.get(uid)?.nodeName;
  }

  get podCount(): number {
    return this.pods.size;
  }

  // ---- namespaces ------------------------------------------------------------------------------

  setNamespace(name: string, labels: Readonly<Record<string, string>> | undefined): void {
    this.namespaces.set(name, labels ?? {});
  }

  removeNamespace(name: string): void {
    this.namespaces.delete(name);
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private attach(uid: string, cached: CachedPod): void {
    let info = this.infos.get(cached.nodeName);
    if (!info) {
      // The pod arrived before its Node (or outlived it): keep the count on a node-less entry.
      info = new NodeInfo();
      info.name = cached.nodeName;
      this.infos.set(cached.nodeName, info);
    }
    info.addPod(cached.info);
    this.index.podChanged(cached.info, info, 1);
    this.pods.set(uid, cached);
    this.trackAffinity(info);
  }

  private detach(uid: string, cached: CachedPod): void {
    const info = this.infos.get(cached.nodeName);
    if (!info) return;
    if (info.removePod(uid)) this.index.podChanged(cached.info, info, -1);
    if (!this.live.has(info) && info.pods.length === 0) this.infos.delete(cached.nodeName);
    this.trackAffinity(info);
  }

  /** Keeps the affinity node lists true; they are rebuilt only when a node enters or leaves them. */
  private trackAffinity(info: NodeInfo): void {
    const present = this.live.has(info);
    if (present && info.podsWithAffinity.length > 0) {
      if (!this.affinityNodes.has(info)) {
        this.affinityNodes.add(info);
        this.affinityList = undefined;
      }
    } else if (this.affinityNodes.delete(info)) this.affinityList = undefined;
    if (present && info.podsWithRequiredAntiAffinity.length > 0) {
      if (!this.antiAffinityNodes.has(info)) {
        this.antiAffinityNodes.add(info);
        this.antiAffinityList = undefined;
      }
    } else if (this.antiAffinityNodes.delete(info)) this.antiAffinityList = undefined;
  }
}
