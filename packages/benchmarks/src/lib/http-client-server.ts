/**
 * The local server of the HTTP client suite, in its own process so the clients' event loop is
 * theirs alone: answers every request 200 with a small JSON body, keep-alive, and reports its
 * port to the parent over IPC.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const body = '{"ok":true}';
const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
  response.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
