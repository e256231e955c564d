/**
 * ConnectionTracker.drain: an idle keep-alive socket is ended with a FIN
 * (not reset), the listener closes, and drain resolves once every socket
 * closed.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { ConnectionTracker } from '../../runtime/http-drain.js';

async function listening(): Promise<{ server: http.Server; tracker: ConnectionTracker; port: number }> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 2 });
    res.end('ok');
  });
  const tracker = new ConnectionTracker(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, tracker, port: (server.address() as AddressInfo).port };
}

/** Sends one keep-alive GET on a raw socket; resolves with what came back, or how the connection failed. */
function exchange(sock: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    sock.on('connect', () => sock.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n'));
    sock.on('data', (c: Buffer) => (text += c.toString()));
    sock.on('end', () => resolve(`end after ${text.split('HTTP/1.1 200').length - 1} response(s)`));
    sock.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
  });
}

describe('runtime/http-drain', () => {
  it('an idle keep-alive connection is ended with a FIN after the quiet time, and drain resolves once it closed', async () => {
    const { server, tracker, port } = await listening();
    const sock = net.connect(port, '127.0.0.1');
    const reply = exchange(sock);
    while (tracker.size === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await tracker.drain({ quietMs: 40 });
    assert.equal(await reply, 'end after 1 response(s)');
    assert.ok(performance.now() - t0 < 1500, 'drain did not wait for the hard timeout');
    assert.equal(server.listening, false);
    await assert.rejects(
      new Promise((resolve, reject) => net.connect(port, '127.0.0.1').on('connect', resolve).on('error', reject)),
      /ECONNREFUSED/,
    );
  });
});
