/**
 * Fixtures for the controllers' tests that run against an API server in this process. Test-only
 * (imported by *.test.ts files).
 *
 * Two servers: `startApi()` is the real one (defaulting, validation, admission, on SQLite in a
 * temporary directory), for controllers that depend on what the server adds or refuses;
 * `startFakeApi()` is test/support's (merge patches for every patch type, name-only validation,
 * no defaulting), for tests that compare what they wrote with what a controller derived from it.
 * Either way `close()` stops whatever controllers the test ran on it, then the client and server.
 */
import { startTestServer, TEST_TOKEN } from '../../../test/support/api-test-server.js';
import { startRealApiServer } from '../../../test/support/real-api-server.js';
import { lookupKind } from '../../api/resources.js';
import type { EventType, Recorder } from '../../client/events.js';
import { Client } from '../../client/rest.js';
import { systemClock } from '../../util/clock.js';
import {
  type Controller,
  type ControllerContext,
  type ControllerFactory,
  DEFAULT_CONTROLLER_SETTINGS,
} from './controller.js';
import { SharedInformers } from './informers.js';
import { ControllerManager, type ControllerManagerOptions } from './manager.js';

const NAMESPACES = lookupKind('v1', 'Namespace')!;

export interface UntilOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Treat a throwing check as "not yet" (its last error goes into the timeout message). */
  retryOnError?: boolean;
}

/** Poll (real time, every 20 ms, bounded) until `check` gives a value other than undefined or false. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  options: UntilOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    let v: T | undefined | false;
    try {
      v = await check();
    } catch (err) {
      if (!options.retryOnError) throw err;
      last = err;
    }
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last === undefined ? '' : ` (${String(last)})`}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface RecordedEvent {
  name: string;
  type: EventType;
  reason: string;
  message: string;
}

/** A Recorder that keeps the events it is given in `events` instead of writing them. */
export function recordingTo(events: RecordedEvent[]): Recorder {
  return {
    event: (obj, type, reason, message) => events.push({ name: obj.name ?? '', type, reason, message }),
  };
}

/** What the manager gives a controller, with events kept in `events`, to build one controller by hand. */
export function testContext(client: Client, events: RecordedEvent[] = []): ControllerContext {
  const recorder = recordingTo(events);
  return {
    client,
    informers: new SharedInformers(client),
    recorder: () => recorder,
    clock: systemClock,
    log: () => undefined,
    settings: DEFAULT_CONTROLLER_SETTINGS,
  };
}

export interface TestApi {
  client: Client;
  /** Run these controllers under a ControllerManager (events written to the server) until `close`. */
  runControllers(factories: readonly ControllerFactory[], options?: ControllerManagerOptions): void;
  /**
   * Start `ctx`'s informers and, once their caches are filled, `controller` (built on `ctx`, see
   * `testContext`), until `close`. Resolves when the controller runs.
   */
  runController(ctx: ControllerContext, controller: Controller): Promise<void>;
  /** Stop the controllers, then close the client and the server. */
  close(): Promise<void>;
}

function testApi(client: Client, closeServer: () => Promise<void>): TestApi {
  const stop = new AbortController();
  const running: Promise<unknown>[] = [];
  return {
    client,
    runControllers(factories, options) {
      running.push(new ControllerManager(client, factories, options).run(stop.signal));
    },
    async runController(ctx, controller) {
      const informing = ctx.informers.run(stop.signal);
      running.push(informing);
      if (!(await ctx.informers.waitForSync(stop.signal))) throw new Error('the informers never synced');
      running.push(controller.run(stop.signal));
    },
    async close() {
      stop.abort();
      await Promise.all(running);
      client.close();
      await closeServer();
    },
  };
}

/** The real API server on SQLite in a fresh temporary directory (named after `name`). */
export async function startApi(name: string): Promise<TestApi> {
  const api = await startRealApiServer(name);
  return testApi(new Client({ ...api.loopback }), () => api.close());
}

/** test/support's fake-machinery API server, with `namespaces` created (it makes none itself). */
export async function startFakeApi(namespaces: readonly string[]): Promise<TestApi> {
  const server = await startTestServer();
  const client = new Client({ server: server.url, token: TEST_TOKEN });
  for (const name of namespaces) {
    await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  return testApi(client, () => server.close());
}
