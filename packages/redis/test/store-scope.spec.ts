import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { composePolicies, currentScope, TimeoutPolicy, type CircuitBreakerPolicy, type ExecutionScope } from '@bulwark/core';
import { sleep } from '@bulwark/local-cluster';
import { Redis } from 'ioredis';
import { HoldingProxy } from './support/holding-proxy.js';
import { sharedRedisUrl, startRedisServer, type RedisServerHandle } from './support/redis-server.js';
import { attachedBreaker, fail, sharing, storeReplica, until } from './support/store-replicas.js';

/**
 * A decorated method's call (`@CircuitBreaker` + `@Timeout`: the breaker and a timeout composed)
 * made while handling a request with its own deadline: what the store does because of it must not
 * run in that request's scope.
 */
function decoratedCall(breaker: CircuitBreakerPolicy): () => Promise<unknown> {
  const method = composePolicies(breaker, new TimeoutPolicy({ name: 'method', duration: 30_000 }));
  return () => method.execute(() => Promise.reject(new Error('down'))).catch((error: unknown) => error);
}

/** The store's work belongs to no user call: its Redis calls run at the root, under their own timeout. */
describe("the store's I/O and the caller's scope", () => {
  let seq = 0;
  const prefix = (): string => `store-scope-${process.pid}-${Date.now()}-${++seq}`;
  const proxies: HoldingProxy[] = [];
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
  });

  it("requests that time out while their failures are being sent do not count as Redis failing: the store's breaker stays closed and the failures open the cluster", async () => {
    const url = await sharedRedisUrl();
    const { hostname, port } = new URL(url);
    const proxy = new HoldingProxy({ host: hostname, port: Number(port) });
    proxies.push(proxy);
    await proxy.start();
    const options = { prefix: prefix(), commandTimeoutMs: 5_000, redisFailureThreshold: 3 };
    const one = storeReplica(proxy.url, options).store; // Redis answers it late, on demand
    const two = storeReplica(url, options).store;
    const a = attachedBreaker(one, 'dep', { failureThreshold: 3 });
    const b = attachedBreaker(two, 'dep', { failureThreshold: 3 });
    await sharing(one, two);
    const call = decoratedCall(a);
    const request = new TimeoutPolicy({ name: 'request', duration: 50 });
    const settled = (): number => one.link.breaker.snapshot().calls.success + one.link.breaker.snapshot().calls.failure;
    for (let i = 1; i <= 3; i++) {
      // A request handler's call fails; the batch carrying the failure is under way when the
      // request's 50 ms deadline passes (Redis' answer is held back until then).
      proxy.hold();
      const sent = proxy.scriptRequests;
      const before = settled();
      await request
        .execute(async () => {
          await call();
          await until(() => proxy.scriptRequests > sent, 'the batch sent');
          await sleep(200);
        })
        .catch(() => undefined);
      expect(request.timeoutCount).toBe(i);
      proxy.release();
      await until(() => settled() > before, 'the batch settled');
      // The request's deadline is not the store's: Redis answered, nothing failed.
      expect(one.link.breaker.snapshot().calls.failure).toBe(0);
    }
    await until(() => b.state === 'open', 'the other replica open on the cluster count');
    expect(one.link.breaker.state).toBe('closed');
    expect(one.status().connected).toBe(true);
  });

  it("the store's Redis commands are sent outside any user call's scope, under the store's own timeout", async () => {
    const url = await sharedRedisUrl();
    const { store } = storeReplica(url, { prefix: prefix() });
    const a = attachedBreaker(store);
    await sharing(store);
    const seen: Array<{ scope: ExecutionScope | undefined; at: number }> = [];
    const pipeline = Redis.prototype.pipeline;
    Redis.prototype.pipeline = function (this: Redis, ...args: Parameters<Redis['pipeline']>) {
      seen.push({ scope: currentScope(), at: performance.now() });
      return pipeline.apply(this, args);
    };
    const requests: ExecutionScope[] = [];
    try {
      const request = new TimeoutPolicy({ name: 'request', duration: 60_000 });
      await request.execute(async () => {
        requests.push(currentScope()!);
        await decoratedCall(a)();
        a.forceOpen(); // an admin request's transition, sent from within its call
        await until(() => seen.length >= 2, "the store's batches");
      });
    } finally {
      Redis.prototype.pipeline = pipeline;
    }
    expect(requests).toHaveLength(1);
    for (const { scope, at } of seen) {
      // The batch's scope is the link's own (its 100 ms timeout), with no user call above it.
      expect(ancestors(scope).includes(requests[0]!)).toBe(false);
      expect(scope!.deadline).toBeLessThanOrEqual(at + 100);
    }
  });

  describe('with Redis stalled', () => {
    let server: RedisServerHandle;
    let pid: number;
    beforeAll(async () => {
      server = await startRedisServer();
      const admin = new Redis(server.url);
      pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))![1]);
      admin.disconnect();
    });
    afterAll(async () => {
      await server.stop();
    });

    it("a command sent during a request keeps the store's own timeout: not cut short by the request's deadline, and never without one", async () => {
      const options = { prefix: prefix(), commandTimeoutMs: 2_000, redisFailureThreshold: 5 };
      const { store } = storeReplica(server.url, options);
      const a = attachedBreaker(store, 'dep');
      const b = attachedBreaker(store, 'other', { failureThreshold: 100 });
      await sharing(store);
      const calls = (): { success: number; failure: number } => store.link.breaker.snapshot().calls;
      /** Waits until a batch sent now is answered: nothing of the store's is under way any more. */
      const idle = async (): Promise<void> => {
        const answered = calls().success;
        await fail(b);
        await until(() => calls().success > answered, "the store's batches answered");
      };
      /** An admin request with a 100 ms deadline: it makes a transition and ends. */
      const request = new TimeoutPolicy({ name: 'request', duration: 100 });
      const adminRequest = (transition: () => void): Promise<void> =>
        request.execute(async () => {
          transition();
          await sleep(5);
        });

      // Redis answers the transition 400 ms later: past the request's deadline, within the store's 2 s.
      await idle();
      let before = calls();
      process.kill(pid, 'SIGSTOP'); // Redis hangs: connections stay open, nothing is answered
      try {
        await adminRequest(() => a.forceOpen());
        await sleep(400);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await until(() => calls().success > before.success, 'the transition answered');
      expect(calls().failure).toBe(before.failure);

      // Redis never answers the transition: it still times out after the store's 2 s, although the
      // request that sent it ended long before, and the store's next batch goes out.
      await idle();
      before = calls();
      process.kill(pid, 'SIGSTOP');
      try {
        await adminRequest(() => a.reset());
        await until(() => calls().failure === before.failure + 1, 'the stalled transition timed out');
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await idle();
    });
  });
});

function ancestors(scope: ExecutionScope | undefined): ExecutionScope[] {
  const chain: ExecutionScope[] = [];
  for (let s = scope; s !== undefined; s = s.parent) chain.push(s);
  return chain;
}
