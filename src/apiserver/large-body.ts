/**
 * Large answers (a list of thousands of objects is megabytes of JSON) written in pieces, with
 * the event loop let through between them. Written at once, encrypting and sending 6 MB held
 * the only thread for a quarter of a second, and every other request waited behind it.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Pieces written between turns of the event loop. */
export const PIECE_BYTES = 256 * 1024;

/** Send `body` as a 200 (or `status`) answer with `headers`, a piece at a time when it is large. */
export async function sendBody(
  res: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  body: string,
): Promise<void> {
  if (body.length <= PIECE_BYTES / 4) {
    res.writeHead(status, headers);
    res.end(body);
    return;
  }
  const bytes = Buffer.from(body);
  res.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
  for (let at = 0; at < bytes.length; at += PIECE_BYTES) {
    if (res.destroyed) return;
    const piece = bytes.subarray(at, at + PIECE_BYTES);
    if (at + PIECE_BYTES >= bytes.length) {
      res.end(piece);
      return;
    }
    // Wait for the socket to take it when it is full, else only for the next turn of the loop.
    if (!res.write(piece)) await waitForDrain(res);
    else await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Resolves once `res` can take more (drain), or will never need to (the connection closed, or
 * `signal` aborted the stream): what every writer of a long answer waits for when write says full.
 */
export function waitForDrain(res: ServerResponse, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
    signal?.addEventListener('abort', done, { once: true });
  });
}
