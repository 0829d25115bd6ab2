/** tcpSocket probes: success when a TCP connection opens within the timeout. */
import { connect } from 'node:net';
import { dialErrorText, dialTimeoutText } from '../go-text.js';
import type { ProbeOutcome } from './outcome.js';
import type { TcpSocketAction } from './spec.js';

export function tcpProbe(action: TcpSocketAction, timeoutMs: number): Promise<ProbeOutcome> {
  const { host, port } = action;
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (outcome: ProbeOutcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => finish({ result: 'failure', output: dialTimeoutText(host, port) }),
      timeoutMs,
    );
    socket.once('connect', () => finish({ result: 'success', output: '' }));
    socket.once('error', (err) => finish({ result: 'failure', output: dialErrorText(err, host, port) }));
  });
}
