/**
 * An agent joins a real `shoal server` with the token file the server wrote, then registers its
 * Node and keeps its Lease fresh with its own credential, as kubectl shows. No Docker: the
 * runtime's info is a fixed answer, the host's stats are read from this machine.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ProcHostStats } from '../../src/agent/host-stats.js';
import { JoinError, joinCluster, type NodeCredentials, nodeClient } from '../../src/agent/join.js';
import { NodeStatusReporter } from '../../src/agent/node-status.js';
import type { Client } from '../../src/client/rest.js';
import { certificateSubject, formatJoinToken, parseJoinToken } from '../../src/pki/index.js';
import { eventually } from '../support/eventually.js';
import { type ShoalServer, startShoalServer } from '../support/shoal-server.js';

const NODE = 'e2e-join-node';

describe('agent join', () => {
  let server: ShoalServer;
  let root: string;
  let creds: NodeCredentials;
  let client: Client;
  let reporter: NodeStatusReporter;

  before(async () => {
    server = await startShoalServer();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-agent-join-'));
  });

  after(async () => {
    await reporter?.stop();
    client?.close();
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('joins with the real token file and gets a system:node credential', async () => {
    creds = await joinCluster({
      server: server.url,
      tokenFile: path.join(server.dataDir, 'node-token'),
      nodeName: NODE,
      dataDir: path.join(root, 'agent'),
      servingAddresses: ['127.0.0.1'],
    });
    assert.deepEqual(certificateSubject(creds.certPem), {
      commonName: `system:node:${NODE}`,
      organizations: ['system:nodes'],
    });
    assert.ok(!fs.readFileSync(creds.kubeconfigPath, 'utf8').includes('shoal-admin'));
    // kubectl accepts the node kubeconfig as it is.
    const r = await server.kubectl(
      ['--kubeconfig', creds.kubeconfigPath, 'get', 'namespaces', '-o', 'name'],
      {
        env: { KUBECONFIG: creds.kubeconfigPath },
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /namespace\/kube-node-lease/);
  });

  it('registers a Ready node and renews its lease', async () => {
    client = nodeClient(creds);
    reporter = new NodeStatusReporter({
      client,
      nodeName: NODE,
      hostStats: new ProcHostStats({ dataDir: root }),
      runtimeInfo: async () => ({
        runtimeVersion: 'docker://27.0.0-e2e',
        kernelVersion: os.release(),
        osImage: 'e2e',
        operatingSystem: 'linux',
        architecture: os.arch(),
        cpus: 2,
        memoryBytes: os.totalmem(),
      }),
      port: 10250,
      addresses: ['127.0.0.1'],
      leaseRenewIntervalMs: 500,
    });
    reporter.start();

    const line = await eventually('kubectl get nodes to show the node Ready', async () => {
      const r = await server.kubectl(['get', 'nodes', '--no-headers']);
      return r.stdout.split('\n').find((l) => /^e2e-join-node\s+Ready\s/.test(l));
    });
    assert.match(line, /v1\.32\.0-shoal/);

    const renewTime = async () => {
      const r = await server.kubectl([
        'get',
        'lease',
        '-n',
        'kube-node-lease',
        NODE,
        '-o',
        'jsonpath={.spec.holderIdentity} {.spec.renewTime}',
      ]);
      return r.code === 0 ? r.stdout : undefined;
    };
    const first = await eventually('the lease', renewTime);
    assert.match(first, new RegExp(`^${NODE} \\d{4}-`));
    await eventually('the lease to be renewed', async () => {
      const now = await renewTime();
      return now && now !== first ? now : undefined;
    });
  });

  it('refuses a wrong token with a clear message', async () => {
    const token = parseJoinToken(fs.readFileSync(path.join(server.dataDir, 'node-token'), 'utf8'));
    const wrong = path.join(root, 'wrong-token');
    const secret = token.secret.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    fs.writeFileSync(wrong, formatJoinToken({ ...token, secret }));
    await assert.rejects(
      joinCluster({
        server: server.url,
        tokenFile: wrong,
        nodeName: 'intruder',
        dataDir: path.join(root, 'intruder'),
        servingAddresses: ['127.0.0.1'],
      }),
      (err: Error) =>
        err instanceof JoinError && /refused the join token in .*wrong-token \(401/.test(err.message),
    );
  });

  it('refuses a token whose CA pin does not match before sending it', async () => {
    // The right secret with another CA's pin. The server would answer 401 to it; the error being
    // the agent's own pin check shows the join stopped after fetching the CA, before the POST.
    const token = parseJoinToken(fs.readFileSync(path.join(server.dataDir, 'node-token'), 'utf8'));
    const pinned = path.join(root, 'other-pin');
    fs.writeFileSync(pinned, formatJoinToken({ ...token, caHash: 'ab'.repeat(32) }));
    await assert.rejects(
      joinCluster({
        server: server.url,
        tokenFile: pinned,
        nodeName: 'misled',
        dataDir: path.join(root, 'misled'),
        servingAddresses: ['127.0.0.1'],
      }),
      (err: Error) =>
        err instanceof JoinError && /the server's CA does not match the join token/.test(err.message),
    );
  });
});
