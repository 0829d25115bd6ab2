/**
 * The Kubernetes release Shoal speaks: discovery's `/version`, the OpenAPI info, the agent's
 * kubeletVersion and the probes' User-Agent all derive from this one number.
 */
/** As `/version` writes them: strings. */
export const KUBERNETES_MAJOR = '1';
export const KUBERNETES_MINOR = '32';
export const KUBERNETES_VERSION = `${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}.0`;
