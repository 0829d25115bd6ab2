/**
 * Docker fixtures for end-to-end tests: the test image (built locally, since no registry is
 * reachable) and cleanup of everything one test run made, found by its unique node label.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { podNetworkName } from '../../src/runtime/docker/driver.js';
import { LABEL_NODE } from '../../src/runtime/driver.js';

export const TEST_IMAGE = 'shoal-test/busybox:1';
const BUILD_SCRIPT = fileURLToPath(new URL('../../../scripts/build-test-images', import.meta.url));

let built: Promise<string> | undefined;

/** Builds the test image once per process (the script is a no-op when it exists); its name. */
export function ensureTestImage(): Promise<string> {
  built ??= promisify(execFile)(BUILD_SCRIPT, [], { timeout: 120_000 }).then(
    () => TEST_IMAGE,
    (err: Error & { stderr?: string }) => {
      built = undefined;
      throw new Error(`scripts/build-test-images failed: ${err.stderr || err.message}`);
    },
  );
  return built;
}

/** A node name no other test run uses, so its objects can be told apart on a shared dockerd. */
export function uniqueNodeName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}`;
}

/** Force-removes every container labelled `shoal.dev/node=<nodeName>`; how many it removed. */
export async function removeNodeContainers(nodeName: string, docker = new Docker()): Promise<number> {
  const found = await docker.listContainers({ all: true, filters: { label: [`${LABEL_NODE}=${nodeName}`] } });
  await Promise.all(
    found.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
        }),
    ),
  );
  return found.length;
}

/** Removes the pod network the agent of `nodeName` made (after its containers are gone). */
export async function removeNodeNetwork(nodeName: string, docker = new Docker()): Promise<void> {
  await docker
    .getNetwork(podNetworkName(nodeName))
    .remove()
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
}
