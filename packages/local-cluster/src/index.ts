export { freePort } from './free-port.js';
export { machineNow } from './machine-clock.js';
export { LoadLoop, type LoadCall } from './load-loop.js';
export { NodeProcess, type JsonLine, type NodeProcessOptions } from './node-process.js';
export { redisServerVersion, startRedisServer, type RedisServer, type RedisServerOptions } from './redis-server.js';
export { sleep } from './sleep.js';
export { waitFor } from './wait-for.js';
