/**
 * Pods nominated to a node by preemption (`status.nominatedNodeName`): they wait there for their
 * victims to terminate, and pods of lower priority must not take the room meanwhile (the
 * pipeline adds them to the node when filtering). A nomination ends when the pod is bound,
 * scheduled elsewhere or deleted.
 */
import type { PodInfo } from './framework/node-info.js';

export class Nominator {
  private readonly byNode = new Map<string, PodInfo[]>();
  private readonly byUid = new Map<string, string>();

  /** Pods nominated to `nodeName`, or undefined (the common case, allocation-free). */
  podsOn(nodeName: string): readonly PodInfo[] | undefined {
    return this.byNode.get(nodeName);
  }

  nodeOf(uid: string): string | undefined {
    return this.byUid.get(uid);
  }

  set(pod: PodInfo, nodeName: string): void {
    this.remove(pod.uid);
    this.byUid.set(pod.uid, nodeName);
    const list = this.byNode.get(nodeName);
    if (list) list.push(pod);
    else this.byNode.set(nodeName, [pod]);
  }

  remove(uid: string): void {
    const nodeName = this.byUid.get(uid);
    if (nodeName === undefined) return;
    this.byUid.delete(uid);
    const list = this.byNode.get(nodeName)!.filter((p) => p.uid !== uid);
    if (list.length > 0) this.byNode.set(nodeName, list);
    else this.byNode.delete(nodeName);
  }
}
