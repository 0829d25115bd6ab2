/**
 * What a pod worker uses for volumes, environment and probes when no process runs: the simulated
 * runtime (`shoal agent --runtime simulated`, the hollow nodes of `shoal simulate`). Nothing is
 * mounted, no environment is resolved, and every container counts as started and ready.
 */
import type { EnvResolver, PodVolumes, ProbeFactory, ProbeRunner } from './pod-worker.js';

export const NO_VOLUMES: PodVolumes = {
  setUp: async () => {},
  mountsFor: async () => [],
  tearDown: async () => {},
};

export const NO_ENV: EnvResolver = async () => [];

/** One runner serves every container: nothing ever changes or stops it. */
const ALWAYS_READY: ProbeRunner = { ready: true, started: true, stop: () => {} };

export const ALWAYS_READY_PROBES: ProbeFactory = () => ALWAYS_READY;
