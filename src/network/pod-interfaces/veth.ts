/**
 * A pod's network interface, made by the agent rather than by the container engine (as a CNI
 * bridge plugin does): the sandbox starts with a network namespace of its own and only a loopback
 * (Docker's networking disabled), then a veth pair joins it to the node's pod bridge — `eth0` with
 * the pod's address and a default route via the bridge inside, the host end a port of the bridge.
 *
 * Why not the engine's network: Docker gives every container on a user-defined network its own
 * embedded DNS resolver, set up with eight iptables commands inside the new namespace, and even
 * on its `none` network re-executes dockerd twice per container in a prestart hook. Shoal's pods
 * use the cluster DNS instead, so that work bought nothing, and it was most of what a pod start
 * cost (docs/agent.md, "Measured").
 *
 * Two commands per pod: `ip link add` in the host namespace (which also puts the peer into the
 * pod's namespace by its process id), then one `ip -batch` inside the pod's namespace through
 * `nsenter`. The host end disappears with the namespace when the sandbox stops.
 */
import type { CommandRunner } from '../host-command.js';

export interface PodInterface {
  /** A process in the pod's network namespace (the sandbox's). */
  pid: number;
  /** The pod's address and the prefix length of the node's range, e.g. `10.42.0.7`, 24. */
  address: string;
  prefixBits: number;
  gateway: string;
  /** The node's pod bridge. */
  bridge: string;
  /** The host end's name (at most 15 characters). */
  hostInterface: string;
}

/** Linux interface names are at most 15 bytes. */
const MAX_IFNAME = 15;

/** The host end's name for a sandbox: `shv` and the start of its id. */
export function hostInterfaceName(sandboxId: string): string {
  return `shv${sandboxId}`.slice(0, MAX_IFNAME);
}

async function must(run: CommandRunner, what: string, command: string, args: string[], input?: string) {
  const result = await run(command, args, input);
  if (result.code !== 0) {
    throw new Error(
      `${what}: ${command} exited with ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
}

/**
 * Plumbs the pod's interface; on failure removes the host end again (which takes the peer with it)
 * and throws.
 */
export async function attachPodInterface(run: CommandRunner, i: PodInterface): Promise<void> {
  if (!Number.isInteger(i.pid) || i.pid <= 0)
    throw new Error(`pod interface: no process to join (pid ${i.pid})`);
  if (i.hostInterface.length > MAX_IFNAME)
    throw new Error(`pod interface: name ${i.hostInterface} is too long`);
  const what = `pod interface ${i.address} (${i.hostInterface})`;
  const link = `link add ${i.hostInterface} master ${i.bridge} up type veth peer name eth0 netns ${i.pid}`;
  await must(run, what, 'ip', link.split(' '));
  const inside = [
    `addr add ${i.address}/${i.prefixBits} dev eth0`,
    'link set eth0 up',
    `route add default via ${i.gateway}`,
  ];
  try {
    await must(
      run,
      what,
      'nsenter',
      [`--net=/proc/${i.pid}/ns/net`, 'ip', '-batch', '-'],
      `${inside.join('\n')}\n`,
    );
  } catch (err) {
    await run('ip', ['link', 'del', i.hostInterface]).catch(() => undefined);
    throw err;
  }
}
