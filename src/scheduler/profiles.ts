/**
 * The scoring profiles a server can choose (`--scheduler-scoring`): spread pods over nodes
 * (LeastAllocated, Kubernetes' default) or pack them onto as few as possible (MostAllocated).
 * Apart from pipeline.ts so the CLI can offer the choice without loading the scheduler.
 */
export type ScoringProfile = 'least-allocated' | 'most-allocated';
export const SCORING_PROFILES: readonly ScoringProfile[] = ['least-allocated', 'most-allocated'];
