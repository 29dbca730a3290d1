import { describe, expect, it } from '@jest/globals';
import { createConnection } from 'node:net';
import { redisServerVersion, startRedisServer } from './redis-server.js';

// Needs redis-server on the PATH, as packages/redis's specs do (they fail without it; this one says so and skips, except under CI).
const available = redisServerVersion() !== undefined;
if (!available && !process.env['CI']) console.warn('redis-server is not on the PATH: the local-cluster redis-server spec is skipped');
const describeWithRedis = available || process.env['CI'] ? describe : describe.skip;

/** The first reply line to `command`, or the socket error's code. */
function send(port: number, command: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (!reply.includes('\r\n')) return;
      socket.destroy();
      resolve(reply.slice(0, reply.indexOf('\r\n')));
    });
  });
}

describeWithRedis('startRedisServer', () => {
  it('reports the version of redis-server', () => {
    expect(redisServerVersion()).toMatch(/^\d+\.\d+/);
  });

  it('starts an empty, unpersisted server on loopback that it can kill and restart on the same port', async () => {
    const server = await startRedisServer();
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(await send(server.port, 'PING')).toBe('+PONG');
      expect(await send(server.port, 'CONFIG GET appendonly')).toBe('*2');
      expect(await send(server.port, 'SET k v')).toBe('+OK');

      await server.kill();
      expect(await send(server.port, 'PING')).toBe('ECONNREFUSED');

      await server.restart();
      expect(await send(server.port, 'PING')).toBe('+PONG');
      expect(await send(server.port, 'EXISTS k')).toBe(':0'); // nothing persisted
    } finally {
      await server.stop();
      await server.stop(); // twice: no-op
    }
    expect(await send(server.port, 'PING')).toBe('ECONNREFUSED');
  });

  it("says why when redis-server exits before it is ready (its port is taken)", async () => {
    const first = await startRedisServer();
    try {
      await expect(startRedisServer({ port: first.port })).rejects.toThrow(`redis-server on port ${first.port} exited (1) before answering PING`);
    } finally {
      await first.stop();
    }
  });
});
