/**
 * How the agent's logs/exec endpoint (server.ts) finds a pod's container: the pod manager
 * implements the lookup, the server only asks. Apart from both so neither loads the other.
 */
/** Thrown by a ContainerLocator: an HTTP status code and the message the user sees. */
export class LocateError extends Error {
  override name = 'LocateError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Finds the runtime container that stands for a pod's container on this node. */
export interface ContainerLocator {
  /**
   * Throws LocateError: 404 `pods "p" not found`; 400 `container "c" in pod "p" is waiting to
   * start: ContainerCreating`; 400 `previous terminated container "c" in pod "p" not found`.
   */
  resolve(
    namespace: string,
    pod: string,
    container: string,
    opts: { previous: boolean },
  ): Promise<{ containerId: string; tty: boolean }>;
}
