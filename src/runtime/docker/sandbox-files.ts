/**
 * The files Docker writes for a container it networks, written by the driver itself for the
 * sandboxes it networks without Docker (translate.ts, SandboxOptions.address): the pod's
 * /etc/hosts, laid out as kubelet writes it, and an /etc/resolv.conf from the host's (the agent
 * mounts its own over it when it runs the cluster DNS). One directory per sandbox, named by its
 * id, under the driver's state directory; it goes with the sandbox.
 */
import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatResolvConf, type ParsedResolvConf } from '../../network/dns/resolv-conf.js';
import { isLoopbackAddress } from '../../util/ipv4.js';
import type { SandboxSpec } from '../driver.js';
import { hostsEntries } from './translate.js';

const HOSTS = 'hosts';
const RESOLV_CONF = 'resolv.conf';

/** Host paths of a sandbox's files, for ContainerOptions.podFiles. */
export interface PodFilePaths {
  hosts?: string;
  resolvConf?: string;
}

export class SandboxFiles {
  /** The host's resolv.conf, read once (as the agent's cluster DNS reads it). */
  private hostText: Promise<string> | undefined;

  constructor(
    private readonly root: string,
    /** Reads the host's resolv.conf, the base of the pods' own. */
    private readonly readHostResolvConf: () => Promise<string> = () =>
      readFile('/etc/resolv.conf', 'utf8').catch(() => ''),
  ) {}

  /** Writes sandbox `id`'s files for a pod at `address`. */
  async write(id: string, spec: SandboxSpec, address: string): Promise<void> {
    const dir = join(this.root, id);
    const hosts = podHostsFile(spec.hostname, address, spec.extraHosts ?? []);
    this.hostText ??= this.readHostResolvConf();
    const resolvConf = podResolvConf(await this.hostText, spec.dns);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await Promise.all([
      writeFile(join(dir, HOSTS), hosts, { mode: 0o644 }),
      writeFile(join(dir, RESOLV_CONF), resolvConf, { mode: 0o644 }),
    ]);
  }

  /**
   * The files sandbox `id` has: none for a sandbox Docker networks (or one made before the driver
   * wrote its own), whose containers take Docker's. `write` makes both, so one is looked for.
   */
  async paths(id: string): Promise<PodFilePaths> {
    const hosts = join(this.root, id, HOSTS);
    return (await exists(hosts)) ? { hosts, resolvConf: join(this.root, id, RESOLV_CONF) } : {};
  }

  async remove(id: string): Promise<void> {
    await rm(join(this.root, id), { recursive: true, force: true });
  }

  /** Removes the directories of sandboxes not in `live` (removed while the agent was away). */
  async prune(live: ReadonlySet<string>): Promise<void> {
    const entries = await readdir(this.root).catch(() => [] as string[]);
    await Promise.all(entries.filter((id) => !live.has(id)).map((id) => this.remove(id)));
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A pod's /etc/hosts: loopback names, the pod's own name at its address, then its host aliases. */
export function podHostsFile(hostname: string, address: string, extraHosts: string[]): string {
  const aliases = hostsEntries(extraHosts);
  const lines = [
    '# Kubernetes-managed hosts file (written by Shoal).',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    ...(hostname ? [`${address}\t${hostname}`] : []),
  ];
  if (aliases.length > 0) {
    lines.push(
      '',
      '# Entries added by HostAliases.',
      ...aliases.map((a) => `${a.ip}\t${a.names.join('\t')}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A pod's /etc/resolv.conf as Docker makes one: the pod's own nameservers, searches and options
 * where it names them, the host's otherwise, less the host's loopback nameservers (a pod's
 * loopback is its own, with no resolver on it).
 */
export function podResolvConf(hostText: string, dns?: SandboxSpec['dns']): string {
  const host: ParsedResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of hostText.split('\n')) {
    const [key, ...values] = raw
      .replace(/[#;].*$/, '')
      .trim()
      .split(/\s+/);
    if (key === 'nameserver' && values[0] && !isLoopbackAddress(values[0])) host.nameservers.push(values[0]);
    else if (key === 'search' || key === 'domain') host.searches = values;
    else if (key === 'options') host.options.push(...values);
  }
  const pick = (own: string[] | undefined, fallback: string[]) => (own && own.length > 0 ? own : fallback);
  return formatResolvConf({
    nameservers: pick(dns?.nameservers, host.nameservers),
    searches: pick(dns?.searches, host.searches),
    options: pick(dns?.options, host.options),
  });
}
