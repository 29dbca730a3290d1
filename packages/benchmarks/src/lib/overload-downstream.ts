/**
 * The downstream of the overload benchmark, in its own process: a pricing service of limited
 * capacity (`WorkerPool`, `DOWNSTREAM_POOL`). `GET /prices/:sku` answers 200 with a small JSON body
 * once its request has been served; it reports its port to the parent over IPC.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DOWNSTREAM_POOL, WorkerPool } from './worker-pool.js';

const pool = new WorkerPool(DOWNSTREAM_POOL, (ms, callback) => setTimeout(callback, ms));

const server = http.createServer((request, response) => {
  pool.submit(() => {
    const sku = request.url?.slice(request.url.lastIndexOf('/') + 1) ?? '';
    const body = `{"sku":${JSON.stringify(sku)},"amount":1999,"currency":"EUR"}`;
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
    response.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen({ port: 0, host: '127.0.0.1', backlog: 4_096 }, () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
