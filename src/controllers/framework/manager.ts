/**
 * The controller manager: builds the controllers it is given on one set of shared informers,
 * fills the caches, and runs the controllers until its signal aborts. With leader election
 * (`shoal server` always uses it) everything happens only while this process holds the Lease
 * kube-system/shoal-controller-manager; a leader that loses its Lease stops its controllers
 * and builds fresh ones (with fresh caches) when elected again.
 */
import { clientSink, EventRecorder, type Recorder } from '../../client/events.js';
import type { Client } from '../../client/rest.js';
import { type Clock, systemClock } from '../../util/clock.js';
import {
  type Controller,
  type ControllerContext,
  type ControllerFactory,
  type ControllerSettings,
  DEFAULT_CONTROLLER_SETTINGS,
} from './controller.js';
import { SharedInformers } from './informers.js';

export interface ControllerManagerOptions {
  clock?: Clock;
  log?: (line: string) => void;
  settings?: Partial<ControllerSettings>;
  /** The host name events report as their source. */
  host?: string;
}

export class ControllerManager {
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly settings: ControllerSettings;

  constructor(
    private readonly client: Client,
    private readonly factories: readonly ControllerFactory[],
    private readonly options: ControllerManagerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? (() => undefined);
    this.settings = { ...DEFAULT_CONTROLLER_SETTINGS, ...options.settings };
  }

  /** Run every controller until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const informers = new SharedInformers(this.client, { clock: this.clock, log: this.log });
    const recorders = new Map<string, Recorder>();
    const ctx: ControllerContext = {
      client: this.client,
      informers,
      clock: this.clock,
      log: this.log,
      settings: this.settings,
      recorder: (component) => {
        let r = recorders.get(component);
        if (!r) {
          r = new EventRecorder(clientSink(this.client), {
            component,
            host: this.options.host ?? '',
            clock: this.clock,
            onError: (err) => this.log(`${component} event: ${String(err)}`),
          });
          recorders.set(component, r);
        }
        return r;
      },
    };
    const controllers: Controller[] = this.factories.map((make) => make(ctx));
    const informing = informers.run(signal);
    if (await informers.waitForSync(signal)) {
      await Promise.all(
        controllers.map((c) =>
          c.run(signal).catch((err) => this.log(`${c.name} controller stopped: ${String(err)}`)),
        ),
      );
    }
    await informing;
  }
}
