/**
 * webtls/node/tls under Node's HTTP stack and two popular clients: node:https with a
 * `createConnection` that returns a webtls TLSSocket (against node's own https server), the
 * `ws` client over wss:// to an http.Server fed by a webtls Server, and undici with a custom
 * `connect`.
 */
import { once } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent, request as undiciRequest } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import tls, { type TLSSocket } from '../../src/node/tls/index.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';

const P256 = certFiles('p256');
const stops: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

function respond(_req: http.IncomingMessage, res: http.ServerResponse): void {
  res.setHeader('content-type', 'text/plain');
  res.end(`hello ${_req.url}`);
}

/** node's https server on 127.0.0.1. */
async function nodeHttpsServer(): Promise<number> {
  const server = https.createServer(
    { key: pem(P256.key), cert: pem(P256.chain), ALPNProtocols: ['http/1.1'] },
    respond,
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  stops.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

/** An http.Server whose connections are webtls TLSSockets from a webtls Server. */
async function webtlsHttpsServer(): Promise<{ port: number; http: http.Server }> {
  const httpServer = http.createServer(respond);
  const server = tls.createServer(
    { key: pem(P256.key), cert: pem(P256.chain), ALPNProtocols: ['http/1.1'] },
    (socket) => httpServer.emit('connection', socket),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  stops.push(async () => {
    httpServer.closeAllConnections();
    httpServer.close();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, http: httpServer };
}

function webtlsConnect(port: number): TLSSocket {
  return tls.connect({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    ca: pem(ROOT),
    ALPNProtocols: ['http/1.1'],
  });
}

/** GET with node:https over a webtls TLSSocket. */
async function httpsGet(port: number, path: string): Promise<{ status?: number; body: string }> {
  const req = https.request({
    host: '127.0.0.1',
    port,
    path,
    // No agent: with one, node asks the agent for the connection instead.
    createConnection: () => webtlsConnect(port),
  });
  req.end();
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  let body = '';
  for await (const chunk of res) body += chunk;
  expect(res.socket).toBeInstanceOf(tls.TLSSocket);
  return { status: res.statusCode, body };
}

describe('node:https over webtls', () => {
  it('requests from node’s https server through createConnection', async () => {
    const port = await nodeHttpsServer();
    const first = await httpsGet(port, '/one');
    expect(first).toEqual({ status: 200, body: 'hello /one' });
    expect((await httpsGet(port, '/two')).body).toBe('hello /two');
  });

  it('serves http.Server requests over webtls Server sockets', async () => {
    const { port } = await webtlsHttpsServer();
    // node's own https client (OpenSSL) against the webtls-terminated http.Server.
    const req = https.request({
      host: '127.0.0.1',
      port,
      path: '/x',
      ca: pem(ROOT),
      servername: 'localhost',
      ALPNProtocols: ['http/1.1'],
      agent: false,
    } as https.RequestOptions);
    req.end();
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    let body = '';
    for await (const chunk of res) body += chunk;
    expect(body).toBe('hello /x');
    expect((res.socket as unknown as { alpnProtocol?: string }).alpnProtocol).toBe('http/1.1');
  });
});

describe('ws over webtls', () => {
  it('echoes messages between a ws client and server, webtls on both ends', async () => {
    const { port, http: httpServer } = await webtlsHttpsServer();
    const wss = new WebSocketServer({ server: httpServer });
    stops.push(() => new Promise((resolve) => wss.close(resolve)));
    wss.on('connection', (ws, req) => {
      expect((req.socket as unknown as TLSSocket).encrypted).toBe(true);
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    const client = new WebSocket(`wss://localhost:${port}/`, {
      createConnection: () => webtlsConnect(port),
    });
    stops.push(async () => client.terminate());
    await once(client, 'open');
    const replies: string[] = [];
    client.on('message', (data) => replies.push(data.toString()));
    const big = 'x'.repeat(100_000);
    client.send('first');
    client.send(big);
    for (let i = 0; i < 500 && replies.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(replies).toEqual(['first', big]);
    client.close(1000, 'done');
    const [code] = await once(client, 'close');
    expect(code).toBe(1000);
  });
});

describe('ws over webtls, server side only', () => {
  it('serves node’s own ws client (OpenSSL) from a webtls Server', async () => {
    const { port, http: httpServer } = await webtlsHttpsServer();
    const wss = new WebSocketServer({ server: httpServer });
    stops.push(() => new Promise((resolve) => wss.close(resolve)));
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo ${data}`)));
    const client = new WebSocket(`wss://localhost:${port}/`, { ca: pem(ROOT) });
    stops.push(async () => client.terminate());
    await once(client, 'open');
    client.send('ping');
    const [reply] = await once(client, 'message');
    expect(String(reply)).toBe('echo ping');
    client.close(1000);
    await once(client, 'close');
  });
});

describe('undici over webtls', () => {
  it('fetches through an Agent whose connect returns a webtls TLSSocket', async () => {
    const port = await nodeHttpsServer();
    const agent = new Agent({
      connect: (_options, callback) => {
        const socket = webtlsConnect(port);
        socket.once('secureConnect', () => callback(null, socket as never));
        socket.once('error', (error) => callback(error, null));
        return socket as never;
      },
    });
    stops.push(() => agent.close());
    for (const path of ['/a', '/b']) {
      const res = await undiciRequest(`https://localhost:${port}${path}`, { dispatcher: agent });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe(`hello ${path}`);
    }
  });
});
