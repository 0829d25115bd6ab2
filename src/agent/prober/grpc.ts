/**
 * grpc probes: the standard health checking protocol, `grpc.health.v1.Health/Check`, over
 * cleartext HTTP/2 with prior knowledge (h2c), as kubelet calls it. SERVING is success; any other
 * status, an error status or no answer in time is failure. The two tiny messages are encoded here:
 *
 *   message HealthCheckRequest  { string service = 1; }
 *   message HealthCheckResponse { ServingStatus status = 1; }  // UNKNOWN, SERVING, NOT_SERVING, SERVICE_UNKNOWN
 *
 * each sent in gRPC's length-prefixed frame (1 byte compressed flag, 4 bytes big-endian length).
 */
import { STATUS_CODES } from 'node:http';
import http2 from 'node:http2';
import type Protobuf from 'protobufjs/minimal.js';
import { dialErrorText, goDuration, goQuote, joinHostPort } from '../go-text.js';
import { PROBE_USER_AGENT } from './http.js';
import type { ProbeOutcome } from './outcome.js';
import type { GrpcAction } from './spec.js';

const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
/** gRPC status code names by number, as grpc-go prints them. */
const CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];
const UNIMPLEMENTED = 12;
const DEADLINE_EXCEEDED = 4;
/** A health response is a few bytes; anything past this is not one. */
const MAX_RESPONSE_BYTES = 64 * 1024;

type ProtobufLibrary = typeof Protobuf;
let library: Promise<ProtobufLibrary> | undefined;

/** protobufjs, loaded with the first grpc probe: most agents never run one, and it costs memory. */
function protobufLibrary(): Promise<ProtobufLibrary> {
  library ??= import('protobufjs/minimal.js').then((m) => m.default);
  return library;
}

function frame(message: Uint8Array): Buffer {
  const framed = Buffer.alloc(5 + message.length);
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  return framed;
}

/** A framed HealthCheckRequest (an empty service is proto3's default, so nothing is written). */
export function encodeHealthCheckRequest(protobuf: ProtobufLibrary, service: string): Buffer {
  return frame(
    service
      ? protobuf.Writer.create()
          .uint32((1 << 3) | 2)
          .string(service)
          .finish()
      : new Uint8Array(),
  );
}

/** A framed HealthCheckResponse's numeric status; throws saying what is wrong with a bad frame. */
export function decodeHealthCheckResponse(protobuf: ProtobufLibrary, data: Buffer): number {
  if (data.length < 5)
    throw new Error(`response of ${data.length} bytes is shorter than a gRPC frame header`);
  if (data[0] !== 0) throw new Error('response message is compressed, which the probe did not ask for');
  const length = data.readUInt32BE(1);
  if (data.length < 5 + length)
    throw new Error(`response message is truncated (${data.length - 5} of ${length} bytes)`);
  const reader = protobuf.Reader.create(data.subarray(5, 5 + length));
  let status = 0;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 0) status = reader.int32();
    else reader.skipType(tag & 7);
  }
  return status;
}

/** The gRPC code grpc-go reports for a non-200 HTTP status. */
function codeOfHttpStatus(status: number): number {
  if (status === 400) return 13;
  if (status === 401) return 16;
  if (status === 403) return 7;
  if (status === 404) return UNIMPLEMENTED;
  if ([429, 502, 503, 504].includes(status)) return 14;
  return 2;
}

function rpcFailure(code: number, message: string, timeoutMs: number): ProbeOutcome {
  if (code === UNIMPLEMENTED) {
    return {
      result: 'failure',
      output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${message}`,
    };
  }
  if (code === DEADLINE_EXCEEDED) {
    return {
      result: 'failure',
      output: `timeout: health rpc did not complete within ${goDuration(timeoutMs)}`,
    };
  }
  const name = CODE_NAMES[code] ?? `Code(${code})`;
  return {
    result: 'failure',
    output: `error: health rpc probe failed: rpc error: code = ${name} desc = ${message}`,
  };
}

function grpcMessage(raw: unknown): string {
  const text = typeof raw === 'string' ? raw : '';
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export async function grpcProbe(action: GrpcAction, timeoutMs: number): Promise<ProbeOutcome> {
  const protobuf = await protobufLibrary();
  const { host, port } = action;
  const addr = joinHostPort(host, port);
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    const session = http2.connect(`http://${addr}`);
    const finish = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      finish(
        connected
          ? rpcFailure(DEADLINE_EXCEEDED, '', timeoutMs)
          : {
              result: 'failure',
              output: `timeout: failed to connect service ${goQuote(addr)} within ${goDuration(timeoutMs)}: context deadline exceeded`,
            },
      );
    }, timeoutMs);
    session.once('connect', () => {
      connected = true;
    });
    // Before the connection is made, both the session and the stream report the dial error (the
    // stream as the cause of "The pending stream has been canceled").
    const failed = (err: Error) =>
      finish(
        connected
          ? rpcFailure(14, err.message, timeoutMs)
          : {
              result: 'failure',
              output: `error: failed to connect service at ${goQuote(addr)}: ${dialErrorText(err.cause ?? err, host, port)}`,
            },
      );
    session.on('error', failed);

    const stream = session.request({
      ':method': 'POST',
      ':path': HEALTH_CHECK_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': PROBE_USER_AGENT,
      'grpc-timeout': `${timeoutMs}m`,
    });
    // A trailers-only answer carries grpc-status in the headers; otherwise it comes in trailers.
    const meta: Record<string, unknown> = {};
    let httpStatus = 0;
    const chunks: Buffer[] = [];
    let size = 0;
    stream.once('response', (headers) => {
      httpStatus = Number(headers[':status']);
      Object.assign(meta, headers);
    });
    stream.once('trailers', (trailers) => Object.assign(meta, trailers));
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        finish(rpcFailure(8, `response larger than ${MAX_RESPONSE_BYTES} bytes`, timeoutMs));
      }
    });
    stream.on('error', failed);
    stream.once('close', () => {
      if (httpStatus !== 200) {
        const reason = httpStatus ? `${httpStatus} (${STATUS_CODES[httpStatus] ?? 'unknown'})` : 'none';
        return finish(
          rpcFailure(
            httpStatus ? codeOfHttpStatus(httpStatus) : 14,
            `unexpected HTTP status code received from server: ${reason}`,
            timeoutMs,
          ),
        );
      }
      const code = Number(meta['grpc-status']);
      if (meta['grpc-status'] === undefined || !Number.isInteger(code)) {
        return finish(rpcFailure(13, 'server closed the stream without sending trailers', timeoutMs));
      }
      if (code !== 0) return finish(rpcFailure(code, grpcMessage(meta['grpc-message']), timeoutMs));
      let status: number;
      try {
        status = decodeHealthCheckResponse(protobuf, Buffer.concat(chunks));
      } catch (err) {
        return finish(rpcFailure(13, (err as Error).message, timeoutMs));
      }
      if (status !== 1) {
        const name = SERVING_STATUS[status] ?? String(status);
        return finish({ result: 'failure', output: `service unhealthy (responded with ${goQuote(name)})` });
      }
      finish({ result: 'success', output: 'service healthy' });
    });
    stream.end(encodeHealthCheckRequest(protobuf, action.service));
  });
}
