import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerInfo, ContainerInspectInfo } from 'dockerode';
import type { ContainerSpec, SandboxRecord, SandboxSpec } from '../driver.js';
import {
  containerCreateOptions,
  createdRecord,
  dockerName,
  eventFromEngine,
  infoFromEngine,
  pullAuth,
  recordFromInspect,
  recordFromList,
  sandboxCreateOptions,
} from './translate.js';

const sandboxSpec: SandboxSpec = {
  podUid: 'u1',
  podName: 'web',
  namespace: 'prod',
  labels: { app: 'web' },
  hostname: 'web-0',
  hostNetwork: false,
  ports: [],
};
const sandboxOpts = { nodeName: 'n1', pauseImage: 'shoal/pause:1' };

function containerSpec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    podUid: 'u1',
    podName: 'web',
    namespace: 'prod',
    name: 'app',
    kind: 'container',
    attempt: 2,
    image: 'busybox',
    env: [],
    mounts: [],
    resources: {},
    security: {},
    tty: false,
    stdin: false,
    stdinOnce: false,
    labels: {},
    ...overrides,
  };
}

describe('sandboxCreateOptions', () => {
  it('runs the pause image with every standard label, no restarts and rotated json logs', () => {
    const body = sandboxCreateOptions(sandboxSpec, sandboxOpts);
    assert.equal(body.Image, 'shoal/pause:1');
    assert.equal(body.Hostname, 'web-0');
    assert.deepEqual(body.Labels, {
      app: 'web',
      'io.kubernetes.pod.uid': 'u1',
      'io.kubernetes.pod.name': 'web',
      'io.kubernetes.pod.namespace': 'prod',
      'shoal.dev/kind': 'sandbox',
      'shoal.dev/node': 'n1',
    });
    assert.equal(body.HostConfig?.NetworkMode, 'bridge');
    assert.equal(body.HostConfig?.IpcMode, 'shareable');
    assert.deepEqual(body.HostConfig?.RestartPolicy, { Name: 'no' });
    assert.equal(body.HostConfig?.LogConfig?.Type, 'json-file');
    assert.equal(body.HostConfig?.LogConfig?.Config['max-size'], '10m');
    assert.equal(body.ExposedPorts, undefined);
    // The pause process runs without a syscall filter; the pod's containers keep Docker's.
    assert.deepEqual(body.HostConfig?.SecurityOpt, ['seccomp=unconfined']);
  });

  it('with an address of its own starts with networking disabled, labelled with it, its hostname set', () => {
    const body = sandboxCreateOptions(
      {
        ...sandboxSpec,
        extraHosts: ['10.0.0.1 a'],
        dns: { nameservers: ['10.96.0.10'], searches: [], options: [] },
      },
      { ...sandboxOpts, network: 'shoal-n1', address: '10.42.0.7' },
    );
    assert.equal(body.NetworkDisabled, true);
    assert.equal(body.HostConfig?.NetworkMode, 'none');
    assert.equal(body.Hostname, 'web-0');
    assert.equal(body.Labels?.['shoal.dev/pod-ip'], '10.42.0.7');
    // Docker writes no hosts or resolv.conf for it: those are the driver's files (sandbox-files.ts).
    assert.equal(body.HostConfig?.ExtraHosts, undefined);
    assert.equal(body.HostConfig?.Dns, undefined);
    assert.throws(
      () =>
        sandboxCreateOptions(
          { ...sandboxSpec, ports: [{ containerPort: 80, protocol: 'TCP', hostPort: 80 }] },
          { ...sandboxOpts, address: '10.42.0.7' },
        ),
      /cannot publish hostPorts/,
    );
    // hostNetwork wins over an address: such a pod has none of its own.
    const host = sandboxCreateOptions(
      { ...sandboxSpec, hostNetwork: true },
      { ...sandboxOpts, address: '10.42.0.7' },
    );
    assert.equal(host.HostConfig?.NetworkMode, 'host');
    assert.equal(host.Labels?.['shoal.dev/pod-ip'], undefined);
    assert.equal(host.HostConfig?.ExtraHosts, undefined);
  });

  it('picks the network: host, the spec, the driver default, then bridge', () => {
    const cases: Array<[Partial<SandboxSpec>, string | undefined, string]> = [
      [{ hostNetwork: true, network: 'x' }, 'y', 'host'],
      [{ network: 'x' }, 'y', 'x'],
      [{}, 'y', 'y'],
      [{}, undefined, 'bridge'],
    ];
    for (const [spec, network, want] of cases) {
      const opts = network ? { ...sandboxOpts, network } : sandboxOpts;
      assert.equal(sandboxCreateOptions({ ...sandboxSpec, ...spec }, opts).HostConfig?.NetworkMode, want);
    }
  });

  it('with hostNetwork shares the host UTS namespace and sets no hostname or port bindings', () => {
    const body = sandboxCreateOptions(
      { ...sandboxSpec, hostNetwork: true, ports: [{ containerPort: 80, protocol: 'TCP', hostPort: 80 }] },
      sandboxOpts,
    );
    assert.equal(body.HostConfig?.UTSMode, 'host');
    assert.equal(body.Hostname, undefined);
    assert.equal(body.HostConfig?.PortBindings, undefined);
  });

  it('publishes only ports with a hostPort, grouped by port and protocol', () => {
    const body = sandboxCreateOptions(
      {
        ...sandboxSpec,
        ports: [
          { containerPort: 80, protocol: 'TCP', hostPort: 8080 },
          { containerPort: 80, protocol: 'TCP', hostPort: 8081, hostIP: '127.0.0.1' },
          { containerPort: 53, protocol: 'UDP', hostPort: 5353 },
          { containerPort: 9090, protocol: 'TCP' },
          { containerPort: 9091, protocol: 'TCP', hostPort: 0 },
        ],
      },
      sandboxOpts,
    );
    assert.deepEqual(body.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
    assert.deepEqual(body.HostConfig?.PortBindings, {
      '80/tcp': [
        { HostIp: '', HostPort: '8080' },
        { HostIp: '127.0.0.1', HostPort: '8081' },
      ],
      '53/udp': [{ HostIp: '', HostPort: '5353' }],
    });
  });

  it('passes DNS settings and turns hosts lines into name:IP entries', () => {
    const body = sandboxCreateOptions(
      {
        ...sandboxSpec,
        dns: { nameservers: ['10.96.0.10'], searches: ['prod.svc.cluster.local'], options: ['ndots:5'] },
        extraHosts: ['10.0.0.1 a a.example', '  fe80::1   b '],
      },
      sandboxOpts,
    );
    assert.deepEqual(body.HostConfig?.Dns, ['10.96.0.10']);
    assert.deepEqual(body.HostConfig?.DnsSearch, ['prod.svc.cluster.local']);
    assert.deepEqual(body.HostConfig?.DnsOptions, ['ndots:5']);
    assert.deepEqual(body.HostConfig?.ExtraHosts, ['a:10.0.0.1', 'a.example:10.0.0.1', 'b:fe80::1']);
  });

  it('rejects a hosts line without a name, saying which one', () => {
    assert.throws(
      () => sandboxCreateOptions({ ...sandboxSpec, extraHosts: ['10.0.0.1 a', '10.0.0.2'] }, sandboxOpts),
      /extraHosts\[1\] "10\.0\.0\.2" must be "IP name/,
    );
  });
});

describe('containerCreateOptions', () => {
  it('joins the sandbox network and IPC namespaces, sets no hostname, labels everything', () => {
    const body = containerCreateOptions('sb1', containerSpec({ labels: { 'shoal.dev/spec-hash': 'h' } }), {
      nodeName: 'n1',
    });
    assert.equal(body.HostConfig?.NetworkMode, 'container:sb1');
    assert.equal(body.HostConfig?.IpcMode, 'container:sb1');
    assert.equal(body.Hostname, undefined);
    assert.equal(body.Image, 'busybox:latest');
    assert.deepEqual(body.Labels, {
      'shoal.dev/spec-hash': 'h',
      'io.kubernetes.pod.uid': 'u1',
      'io.kubernetes.pod.name': 'web',
      'io.kubernetes.pod.namespace': 'prod',
      'io.kubernetes.container.name': 'app',
      'shoal.dev/kind': 'container',
      'shoal.dev/node': 'n1',
      'shoal.dev/attempt': '2',
    });
    assert.deepEqual(body.HostConfig?.RestartPolicy, { Name: 'no' });
  });

  it('follows Kubernetes command/args semantics', () => {
    const cases: Array<[Partial<ContainerSpec>, string[] | undefined, string[] | undefined]> = [
      // [spec, Entrypoint, Cmd]
      [{}, undefined, undefined],
      [{ args: ['a'] }, undefined, ['a']],
      // command alone: Cmd [] so the image's CMD is not appended
      [{ command: ['run'] }, ['run'], []],
      [{ command: ['run'], args: ['a', 'b'] }, ['run'], ['a', 'b']],
      [{ command: [], args: [] }, undefined, undefined],
    ];
    for (const [spec, entrypoint, cmd] of cases) {
      const body = containerCreateOptions('sb', containerSpec(spec), { nodeName: 'n' });
      assert.deepEqual(body.Entrypoint, entrypoint, JSON.stringify(spec));
      assert.deepEqual(body.Cmd, cmd, JSON.stringify(spec));
    }
  });

  it('passes working directory, env in order, and stdin/tty flags', () => {
    const body = containerCreateOptions(
      'sb',
      containerSpec({
        workingDir: '/srv',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: 'x=y z' },
          { name: 'A', value: '2' },
        ],
        tty: true,
        stdin: true,
        stdinOnce: true,
      }),
      { nodeName: 'n' },
    );
    assert.equal(body.WorkingDir, '/srv');
    assert.deepEqual(body.Env, ['A=1', 'B=x=y z', 'A=2']);
    assert.equal(body.Tty, true);
    assert.equal(body.OpenStdin, true);
    assert.equal(body.StdinOnce, true);
    assert.equal(body.AttachStdin, true);
  });

  it('bind-mounts host paths with read-only and propagation', () => {
    const body = containerCreateOptions(
      'sb',
      containerSpec({
        mounts: [
          { hostPath: '/h/a', containerPath: '/a', readOnly: true },
          { hostPath: '/h/b', containerPath: '/b', readOnly: false, propagation: 'private' },
          { hostPath: '/h/c', containerPath: '/c', readOnly: false, propagation: 'rslave' },
          { hostPath: '/h/d', containerPath: '/d', readOnly: false, propagation: 'rshared' },
        ],
      }),
      { nodeName: 'n' },
    );
    assert.deepEqual(
      body.HostConfig?.Mounts?.map((m) => [m.Source, m.Target, m.ReadOnly, m.BindOptions?.Propagation]),
      [
        ['/h/a', '/a', true, 'rprivate'],
        ['/h/b', '/b', false, 'rprivate'],
        ['/h/c', '/c', false, 'rslave'],
        ['/h/d', '/d', false, 'rshared'],
      ],
    );
    assert.ok(body.HostConfig?.Mounts?.every((m) => m.Type === 'bind'));
  });

  it("mounts the pod's own hosts and resolv.conf, except where the container mounts that path", () => {
    const podFiles = { hosts: '/s/sb/hosts', resolvConf: '/s/sb/resolv.conf' };
    const plain = containerCreateOptions('sb', containerSpec({ mounts: [] }), { nodeName: 'n', podFiles });
    assert.deepEqual(
      plain.HostConfig?.Mounts?.map((m) => [m.Source, m.Target, m.ReadOnly]),
      [
        ['/s/sb/hosts', '/etc/hosts', false],
        ['/s/sb/resolv.conf', '/etc/resolv.conf', false],
      ],
    );
    // The agent's cluster-DNS resolv.conf wins over the driver's.
    const own = containerCreateOptions(
      'sb',
      containerSpec({
        mounts: [{ hostPath: '/dns/p.conf', containerPath: '/etc/resolv.conf', readOnly: false }],
      }),
      { nodeName: 'n', podFiles },
    );
    assert.deepEqual(
      own.HostConfig?.Mounts?.map((m) => [m.Source, m.Target]),
      [
        ['/dns/p.conf', '/etc/resolv.conf'],
        ['/s/sb/hosts', '/etc/hosts'],
      ],
    );
    // A sandbox Docker networks has no files of the driver's: nothing is added.
    const docker = containerCreateOptions('sb', containerSpec({ mounts: [] }), {
      nodeName: 'n',
      podFiles: {},
    });
    assert.deepEqual(docker.HostConfig?.Mounts, []);
  });

  it('turns CPU and memory into shares, CFS quota and a no-swap memory limit', () => {
    const cases: Array<[ContainerSpec['resources'], Record<string, number | undefined>]> = [
      [{}, { CpuShares: undefined, CpuQuota: undefined, CpuPeriod: undefined, Memory: undefined }],
      [{ cpuRequestMilli: 0 }, { CpuShares: 2 }],
      [{ cpuRequestMilli: 1 }, { CpuShares: 2 }],
      [{ cpuRequestMilli: 250 }, { CpuShares: 256 }],
      [{ cpuRequestMilli: 1500 }, { CpuShares: 1536 }],
      [{ cpuLimitMilli: 500 }, { CpuPeriod: 100000, CpuQuota: 50000 }],
      [{ cpuLimitMilli: 2 }, { CpuPeriod: 100000, CpuQuota: 1000 }],
      [{ memoryLimitBytes: 64 << 20 }, { Memory: 64 << 20, MemorySwap: 64 << 20 }],
      [{ memoryRequestBytes: 32 << 20 }, { MemoryReservation: 32 << 20, Memory: undefined }],
    ];
    for (const [resources, want] of cases) {
      const hc = containerCreateOptions('sb', containerSpec({ resources }), { nodeName: 'n' }).HostConfig!;
      for (const [key, value] of Object.entries(want)) {
        assert.equal(hc[key as keyof typeof hc], value, `${JSON.stringify(resources)} ${key}`);
      }
    }
  });

  it('applies security settings', () => {
    const body = containerCreateOptions(
      'sb',
      containerSpec({
        security: {
          runAsUser: 1000,
          runAsGroup: 2000,
          supplementalGroups: [3000, 4000],
          readOnlyRootFilesystem: true,
          privileged: true,
          capAdd: ['NET_ADMIN', 'CAP_SYS_TIME', 'net_raw'],
          capDrop: ['ALL'],
          allowPrivilegeEscalation: false,
        },
      }),
      { nodeName: 'n' },
    );
    assert.equal(body.User, '1000:2000');
    const hc = body.HostConfig!;
    assert.deepEqual(hc.GroupAdd, ['3000', '4000']);
    assert.equal(hc.ReadonlyRootfs, true);
    assert.equal(hc.Privileged, true);
    assert.deepEqual(hc.CapAdd, ['NET_ADMIN', 'SYS_TIME', 'NET_RAW']);
    assert.deepEqual(hc.CapDrop, ['ALL']);
    assert.deepEqual(hc.SecurityOpt, ['no-new-privileges']);
  });

  it('leaves the image user alone without runAsUser, and allows escalation unless told not to', () => {
    const cases: Array<[ContainerSpec['security'], string | undefined, string[] | undefined]> = [
      [{}, undefined, undefined],
      [{ runAsUser: 0 }, '0', undefined],
      [{ runAsGroup: 5 }, undefined, undefined],
      [{ allowPrivilegeEscalation: true }, undefined, undefined],
    ];
    for (const [security, user, securityOpt] of cases) {
      const body = containerCreateOptions('sb', containerSpec({ security }), { nodeName: 'n' });
      assert.equal(body.User, user, JSON.stringify(security));
      assert.deepEqual(body.HostConfig?.SecurityOpt, securityOpt, JSON.stringify(security));
    }
  });

  it('rejects a malformed capability or image name', () => {
    assert.throws(
      () =>
        containerCreateOptions('sb', containerSpec({ security: { capAdd: ['NET ADMIN'] } }), {
          nodeName: 'n',
        }),
      /capability "NET ADMIN"/,
    );
    assert.throws(
      () => containerCreateOptions('sb', containerSpec({ image: 'Bad/Image' }), { nodeName: 'n' }),
      /"Bad" is not a valid repository name component/,
    );
  });
});

const inspectJson = {
  Id: 'c1',
  Created: '2026-01-02T03:04:05.123456789Z',
  Image: 'sha256:abc',
  Config: {
    Image: 'busybox:latest',
    Labels: {
      'io.kubernetes.pod.uid': 'u1',
      'io.kubernetes.pod.name': 'web',
      'io.kubernetes.pod.namespace': 'prod',
      'io.kubernetes.container.name': 'app',
      'shoal.dev/kind': 'container',
      'shoal.dev/attempt': '3',
    },
  },
  State: {
    Status: 'exited',
    ExitCode: 137,
    OOMKilled: true,
    Error: '',
    StartedAt: '2026-01-02T03:04:06Z',
    FinishedAt: '2026-01-02T03:04:07Z',
  },
  NetworkSettings: { IPAddress: '', Networks: {} },
} as unknown as ContainerInspectInfo;

describe('recordFromInspect', () => {
  it('reads identity from labels and the state with exit code and OOM', () => {
    const record = recordFromInspect(inspectJson);
    assert.deepEqual(
      { ...record, labels: undefined },
      {
        id: 'c1',
        kind: 'container',
        podUid: 'u1',
        podName: 'web',
        namespace: 'prod',
        name: 'app',
        attempt: 3,
        image: 'busybox:latest',
        imageId: 'sha256:abc',
        labels: undefined,
        state: 'exited',
        createdAt: new Date('2026-01-02T03:04:05.123Z'),
        startedAt: new Date('2026-01-02T03:04:06Z'),
        finishedAt: new Date('2026-01-02T03:04:07Z'),
        exitCode: 137,
        oomKilled: true,
      },
    );
  });

  it('treats Docker zero times as absent and reports the engine error of a failed start', () => {
    const json = {
      ...inspectJson,
      State: {
        Status: 'created',
        ExitCode: 127,
        OOMKilled: false,
        Error: 'exec: "nope": executable file not found in $PATH',
        StartedAt: '0001-01-01T00:00:00Z',
        FinishedAt: '0001-01-01T00:00:00Z',
      },
    } as unknown as ContainerInspectInfo;
    const record = recordFromInspect(json);
    assert.equal(record.state, 'created');
    assert.equal(record.startedAt, undefined);
    assert.equal(record.finishedAt, undefined);
    assert.equal(record.exitCode, undefined);
    assert.equal(record.oomKilled, undefined);
    assert.match(record.error ?? '', /executable file not found/);
  });

  it('maps every Docker status', () => {
    const cases: Array<[string, string]> = [
      ['created', 'created'],
      ['running', 'running'],
      ['paused', 'running'],
      ['restarting', 'running'],
      ['exited', 'exited'],
      ['dead', 'exited'],
      ['removing', 'exited'],
      ['weird', 'unknown'],
    ];
    for (const [status, want] of cases) {
      const json = {
        ...inspectJson,
        State: { ...inspectJson.State, Status: status },
      } as ContainerInspectInfo;
      assert.equal(recordFromInspect(json).state, want, status);
    }
  });

  it('takes a sandbox IP from IPAddress, else from the first network that has one', () => {
    const sandbox = (settings: object) =>
      recordFromInspect({
        ...inspectJson,
        Config: { ...inspectJson.Config, Labels: { 'shoal.dev/kind': 'sandbox' } },
        NetworkSettings: settings,
      } as unknown as ContainerInspectInfo) as SandboxRecord;
    assert.equal(sandbox({ IPAddress: '172.17.0.5', Networks: {} }).ip, '172.17.0.5');
    assert.equal(
      sandbox({ IPAddress: '', Networks: { a: { IPAddress: '' }, b: { IPAddress: '10.0.0.9' } } }).ip,
      '10.0.0.9',
    );
    assert.equal(sandbox({ IPAddress: '', Networks: { host: { IPAddress: '' } } }).ip, undefined);
    assert.equal(sandbox({}).kind, 'sandbox');
  });

  it('takes a plumbed sandbox IP from its label while it runs, and none once it has stopped', () => {
    const sandbox = (status: string) =>
      recordFromInspect({
        ...inspectJson,
        Config: {
          ...inspectJson.Config,
          Labels: { 'shoal.dev/kind': 'sandbox', 'shoal.dev/pod-ip': '10.42.0.7' },
        },
        State: { ...inspectJson.State, Status: status },
        NetworkSettings: { IPAddress: '', Networks: { none: { IPAddress: '' } } },
      } as unknown as ContainerInspectInfo) as SandboxRecord;
    assert.equal(sandbox('running').ip, '10.42.0.7');
    assert.equal(sandbox('exited').ip, undefined);
  });
});

describe('createdRecord', () => {
  it('reads identity from the labels sent, in state created with no image id nor IP yet', () => {
    const body = sandboxCreateOptions(sandboxSpec, sandboxOpts);
    const now = new Date('2024-05-01T10:00:00Z');
    assert.deepEqual(createdRecord('abc', body.Labels ?? {}, 'shoal/pause:1', now), {
      id: 'abc',
      kind: 'sandbox',
      podUid: 'u1',
      podName: 'web',
      namespace: 'prod',
      name: '',
      attempt: 0,
      labels: body.Labels,
      image: 'shoal/pause:1',
      imageId: '',
      state: 'created',
      createdAt: now,
    });
  });
});

describe('recordFromList', () => {
  it('reads the exit code from the status text and the IP from the networks', () => {
    const entry = {
      Id: 's1',
      Image: 'shoal/pause:1',
      ImageID: 'sha256:p',
      Created: 1767323045,
      State: 'exited',
      Status: 'Exited (137) 3 seconds ago',
      Labels: { 'shoal.dev/kind': 'sandbox', 'io.kubernetes.pod.uid': 'u1' },
      NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.2' } } },
    } as unknown as ContainerInfo;
    const record = recordFromList(entry) as SandboxRecord;
    assert.equal(record.kind, 'sandbox');
    assert.equal(record.state, 'exited');
    assert.equal(record.exitCode, 137);
    assert.equal(record.ip, '172.17.0.2');
    assert.equal(record.attempt, 0);
    assert.deepEqual(record.createdAt, new Date(1767323045 * 1000));
    const running = recordFromList({ ...entry, State: 'running', Status: 'Up 2 minutes' });
    assert.equal(running.exitCode, undefined);
  });
});

describe('small translations', () => {
  it('names objects for people, replacing characters Docker refuses', () => {
    assert.equal(dockerName(['n1', 'web', 'prod', 'app', '0'], 'a1b2c3'), 'shoal_n1_web_prod_app_0_a1b2c3');
    assert.equal(dockerName(['n:1', 'w/b'], 'x'), 'shoal_n-1_w-b_x');
  });

  it('maps engine events and ignores other actions', () => {
    const attributes = { 'io.kubernetes.pod.uid': 'u1', name: 'x' };
    assert.deepEqual(
      eventFromEngine({ Type: 'container', Action: 'die', Actor: { ID: 'c1', Attributes: attributes } }),
      {
        type: 'die',
        id: 'c1',
        podUid: 'u1',
      },
    );
    assert.deepEqual(eventFromEngine({ Type: 'container', Action: 'oom', Actor: { ID: 'c1' } }), {
      type: 'oom',
      id: 'c1',
    });
    assert.equal(
      eventFromEngine({ Type: 'container', Action: 'exec_start: sh', Actor: { ID: 'c1' } }),
      undefined,
    );
    assert.equal(eventFromEngine({ Type: 'network', Action: 'destroy', Actor: { ID: 'n' } }), undefined);
  });

  it('reports the engine in Kubernetes terms', () => {
    const info = infoFromEngine({
      ServerVersion: '20.10.24+dfsg1',
      KernelVersion: '6.1.0',
      OperatingSystem: 'Debian GNU/Linux 12 (bookworm)',
      OSType: 'linux',
      Architecture: 'x86_64',
      NCPU: 2,
      MemTotal: 1024,
      DockerRootDir: '/var/lib/docker',
    });
    assert.deepEqual(info, {
      runtimeVersion: 'docker://20.10.24+dfsg1',
      kernelVersion: '6.1.0',
      osImage: 'Debian GNU/Linux 12 (bookworm)',
      operatingSystem: 'linux',
      architecture: 'amd64',
      cpus: 2,
      memoryBytes: 1024,
      imageStorePath: '/var/lib/docker',
    });
    assert.equal(infoFromEngine({}).imageStorePath, undefined);
    assert.equal(infoFromEngine({ Architecture: 'aarch64' }).architecture, 'arm64');
    assert.equal(infoFromEngine({ Architecture: 'riscv64' }).architecture, 'riscv64');
  });

  it('picks pull credentials by registry host, decoding auth', () => {
    const creds = [
      { server: 'https://index.docker.io/v1/', username: 'hub', password: 'p1' },
      { server: 'registry.example.com:5000', auth: Buffer.from('me:se:cret').toString('base64') },
    ];
    assert.deepEqual(pullAuth('docker.io', creds), {
      serveraddress: 'https://index.docker.io/v1/',
      username: 'hub',
      password: 'p1',
    });
    assert.deepEqual(pullAuth('registry.example.com:5000', creds), {
      serveraddress: 'registry.example.com:5000',
      username: 'me',
      password: 'se:cret',
    });
    assert.equal(pullAuth('other.example.com', creds), undefined);
    assert.throws(
      () => pullAuth('x.io', [{ server: 'x.io', auth: Buffer.from('nocolon').toString('base64') }]),
      /pull credentials for x\.io: "auth" is not base64 of user:password/,
    );
  });
});
