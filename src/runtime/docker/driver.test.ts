/**
 * The adapter without a daemon: what the agent sees when dockerd is not there. Everything that
 * needs a real engine is in test/e2e/runtime-docker.test.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { RuntimeUnavailableError } from '../driver.js';
import { DockerDriver } from './driver.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-docker-driver-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('DockerDriver without a daemon', () => {
  it('needs a node name', () => {
    assert.throws(() => new DockerDriver({ nodeName: '', stateDir: dir }), /nodeName must not be empty/);
  });

  it('reports a missing socket as RuntimeUnavailableError naming the socket', async () => {
    const socketPath = path.join(dir, 'absent.sock');
    const driver = new DockerDriver({ nodeName: 'n', socketPath, stateDir: dir });
    for (const call of [
      () => driver.info(),
      () => driver.list(),
      () => driver.ensureImage('busybox', 'Never'),
    ]) {
      await assert.rejects(call(), (err: Error) => {
        assert.ok(err instanceof RuntimeUnavailableError, `${err.name}: ${err.message}`);
        assert.match(err.message, new RegExp(`cannot connect to the Docker daemon at unix://${socketPath}`));
        return true;
      });
    }
  });

  it('reports a socket path nobody listens on as RuntimeUnavailableError, for events too', async () => {
    // A plain file where the socket should be: connecting is refused (ECONNREFUSED).
    const socketPath = path.join(dir, 'refused.sock');
    fs.writeFileSync(socketPath, '');
    const driver = new DockerDriver({ nodeName: 'n', socketPath, stateDir: dir });
    await assert.rejects(driver.inspect('x'), RuntimeUnavailableError);
    const events = driver.events(new AbortController().signal)[Symbol.asyncIterator]();
    await assert.rejects(events.next(), RuntimeUnavailableError);
  });
});
