/**
 * Kubernetes' remote-command protocol over WebSocket, the way kubectl (client-go ≥ 1.30) speaks it
 * for exec, attach and cp. Every message is binary; its first byte names the channel:
 *
 *     0 stdin (client → us)    1 stdout    2 stderr    3 error: one metav1.Status at the end
 *     4 resize (client → us, JSON {"Width","Height"})
 *
 * `v5.channel.k8s.io` adds the close signal `[255, channel]`: the sender will write no more on that
 * channel. kubectl sends `[255, 0]` when its stdin ends, which is how `kubectl cp` and
 * `echo x | kubectl exec -i` let the command see EOF (v4 has no way to say so). The session ends
 * with the Status on channel 3 and a normal close; the client reads the Status until the close.
 */
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { WebSocket } from 'ws';
import type { ExecSession } from '../runtime/driver.js';
import { errorMessage } from '../util/error-message.js';

const PROTOCOL_V5 = 'v5.channel.k8s.io';
const PROTOCOL_V4 = 'v4.channel.k8s.io';
/** In order of preference. */
export const SUPPORTED_PROTOCOLS: readonly string[] = [PROTOCOL_V5, PROTOCOL_V4];

export const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
export const ERROR = 3;
const RESIZE = 4;
const CLOSE_SIGNAL = 255;

/** Above this many unsent bytes the process's output is paused until the client catches up. */
const HIGH_WATER = 1 << 20;
/** A client that does not answer our close within this long is cut off. */
const CLOSE_TIMEOUT_MS = 5_000;
/** How long output may still trail behind the process's exit. */
const OUTPUT_DRAIN_MS = 2_000;

/** metav1.Status as the error channel carries it (kind and apiVersion are not sent). */
export interface StreamStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes: Array<{ reason: string; message: string }> };
}

/** The best protocol both sides speak, from a `Sec-WebSocket-Protocol` header; undefined if none. */
export function chooseProtocol(header: string | undefined): string | undefined {
  const offered = new Set((header ?? '').split(',').map((p) => p.trim()));
  return SUPPORTED_PROTOCOLS.find((p) => offered.has(p));
}

export const successStatus = (): StreamStatus => ({ metadata: {}, status: 'Success' });

/** What the kubelet reports for a command that exited non-zero; kubectl exits with `code`. */
export function exitCodeStatus(command: string[], code: number): StreamStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

function internalErrorStatus(message: string): StreamStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    code: 500,
  };
}

export interface SessionOptions {
  /** The negotiated subprotocol (one of SUPPORTED_PROTOCOLS). */
  protocol: string;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Starts the process; a rejection is reported to the client on the error channel. */
  open(): Promise<ExecSession>;
  /** The Status to send once the process exited with `exitCode`. */
  finalStatus(exitCode: number): StreamStatus;
}

/** Serves one exec/attach on an open WebSocket; resolves once the socket is closed. */
export async function serveRemoteCommand(ws: WebSocket, opts: SessionOptions): Promise<void> {
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  ws.on('error', () => ws.terminate());
  const send = (channel: number, data: Buffer | string, done?: () => void) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]), { binary: true }, () => done?.());
  };

  // Stdin may arrive before the process exists; keep it in order until then.
  let session: ExecSession | undefined;
  const pending: Buffer[] = [];
  let stdinEnded = false;
  const deliver = (msg: Buffer) => {
    if (!session) return void pending.push(msg);
    const channel = msg[0];
    if (channel === STDIN) {
      if (!opts.stdin || !session.stdin || stdinEnded) return;
      // Respect the process's pace: stop reading the socket while its stdin is full.
      if (!session.stdin.write(msg.subarray(1))) {
        ws.pause();
        session.stdin.once('drain', () => ws.resume());
      }
    } else if (channel === RESIZE) {
      const size = parseResize(msg.subarray(1));
      if (size) session.resize(size.width, size.height).catch(() => undefined);
    } else if (channel === CLOSE_SIGNAL && opts.protocol === PROTOCOL_V5 && msg[1] === STDIN) {
      stdinEnded = true;
      session.stdin?.end();
    }
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary && data.length > 0) deliver(data);
  });

  // Tells the client the streams are open (the kubelet does the same): an empty message on the
  // first channel it will read.
  send(opts.stdout ? STDOUT : opts.stderr ? STDERR : ERROR, Buffer.alloc(0));

  try {
    session = await opts.open();
  } catch (err) {
    send(ERROR, JSON.stringify(internalErrorStatus(errorMessage(err))));
    return closeWith(ws, closed);
  }
  const current = session;
  for (const msg of pending.splice(0)) deliver(msg);
  ws.once('close', () => {
    // The client left: the process gets EOF on stdin and its output has nowhere to go.
    current.stdin?.end();
    current.stdout.destroy();
    current.stderr?.destroy();
  });

  const outputs = [
    pump(current.stdout, opts.stdout ? STDOUT : undefined),
    ...(current.stderr ? [pump(current.stderr, opts.stderr ? STDERR : undefined)] : []),
  ];
  function pump(stream: Readable, channel: number | undefined): Promise<void> {
    stream.on('data', (chunk: Buffer) => {
      if (channel === undefined) return;
      send(channel, chunk, () => {
        if (stream.isPaused() && ws.bufferedAmount < HIGH_WATER) stream.resume();
      });
      if (ws.bufferedAmount >= HIGH_WATER) stream.pause();
    });
    return finished(stream).catch(() => undefined);
  }

  let status: StreamStatus;
  try {
    const exitCode = await current.wait();
    // The driver resolves wait() once the output was read; allow a moment for it to be forwarded,
    // but a stream the driver forgot to end must not hold the session open forever.
    await Promise.race([Promise.all(outputs), delay(OUTPUT_DRAIN_MS, undefined, { ref: false })]);
    status = exitCode === 0 ? successStatus() : opts.finalStatus(exitCode);
  } catch (err) {
    status = internalErrorStatus(errorMessage(err));
  }
  send(ERROR, JSON.stringify(status));
  return closeWith(ws, closed);
}

async function closeWith(ws: WebSocket, closed: Promise<void>): Promise<void> {
  if (ws.readyState === ws.OPEN) ws.close(1000);
  const timer = setTimeout(() => ws.terminate(), CLOSE_TIMEOUT_MS);
  await closed;
  clearTimeout(timer);
}

function parseResize(data: Buffer): { width: number; height: number } | undefined {
  try {
    const v = JSON.parse(data.toString('utf8')) as { Width?: unknown; Height?: unknown };
    if (typeof v.Width === 'number' && typeof v.Height === 'number' && v.Width > 0 && v.Height > 0) {
      return { width: v.Width, height: v.Height };
    }
  } catch {
    // A malformed resize is ignored, as the kubelet ignores it.
  }
  return undefined;
}
