/**
 * NodePorts (filter): a pod that asks for host ports fits only nodes where none of them is taken.
 * The pod's host ports are compiled once in PodInfo; two ports collide when protocol and port
 * match and either binds 0.0.0.0 or both bind the same address (framework `portsConflict`).
 */
import type { NodeInfo, PodInfo } from '../framework/node-info.js';
import { portsConflict } from '../framework/node-info.js';
import {
  type FilterPlugin,
  type PreFilterPlugin,
  type Result,
  skip,
  unschedulable,
} from '../framework/types.js';

export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";

export const NodePorts: PreFilterPlugin & FilterPlugin = {
  name: 'NodePorts',

  /** Most pods ask for no host port: then the filter need not run at all. */
  preFilter(_state, pod): Result {
    return pod.hostPorts.length === 0 ? skip : undefined;
  },

  filter(_state, pod: PodInfo, node: NodeInfo): Result {
    const used = node.usedPorts;
    for (const want of pod.hostPorts)
      for (let i = 0; i < used.length; i++)
        if (portsConflict(want, used[i]!)) return unschedulable(ERR_REASON_PORTS);
    return undefined;
  },
};
