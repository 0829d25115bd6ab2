/**
 * Answers on a raw socket. An HTTP server hands `upgrade` requests over as bare sockets, with no
 * ServerResponse, so a refusal has to be written as HTTP/1.1 by hand.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Writes a complete JSON response and closes the connection. */
export function writeJsonResponse(socket: Duplex, status: number, body: unknown): void {
  if (socket.destroyed) return;
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(json)}\r\n` +
      'Connection: close\r\n\r\n' +
      json,
  );
}
