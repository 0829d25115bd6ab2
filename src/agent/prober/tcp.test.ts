import assert from 'node:assert/strict';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { tcpProbe } from './tcp.js';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('tcpProbe', () => {
  it('succeeds when the port accepts a connection', async () => {
    let accepted = 0;
    const server = createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    const port = await listen(server);
    try {
      assert.deepEqual(await tcpProbe({ type: 'tcpSocket', host: '127.0.0.1', port }, 1000), {
        result: 'success',
        output: '',
      });
      for (let i = 0; i < 50 && accepted === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(accepted, 1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails with the dial error when nothing listens', async () => {
    const server = createServer();
    const port = await listen(server);
    await new Promise((resolve) => server.close(resolve));
    assert.deepEqual(await tcpProbe({ type: 'tcpSocket', host: '127.0.0.1', port }, 1000), {
      result: 'failure',
      output: `dial tcp 127.0.0.1:${port}: connect: connection refused`,
    });
  });
});
