import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { FakeClock } from '../clock/fake-clock.js';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import type { CircuitBreakerState } from './circuit-breaker.options.js';
import { CircuitBreakerPolicy, type CircuitBreakerPolicyOptions } from './circuit-breaker.policy.js';
import { KeyedCircuitBreakers, mostSevereState, type KeyedCircuitBreakerRemoval } from './keyed-circuit-breakers.js';

const MINUTE = 60_000;

function family(clock: FakeClock, options: Partial<CircuitBreakerPolicyOptions> = {}) {
  const keyed = KeyedCircuitBreakers.fromOptions({ name: 'partner-api', clock, failureThreshold: 1, recoveryTimeout: 30_000, ...options });
  const created: string[] = [];
  const removed: string[] = [];
  keyed.onCreated((breaker) => created.push(breaker.key!));
  keyed.onRemoved(({ key, reason }) => removed.push(`${key}:${reason}`));
  return { keyed, created, removed };
}

async function fail(breaker: CircuitBreakerPolicy): Promise<void> {
  await expect(breaker.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
}

describe('KeyedCircuitBreakers: one breaker per key', () => {
  it('creates a key’s breaker on first use, with the family name and the key, and reuses it', () => {
    const clock = new FakeClock();
    const { keyed, created } = family(clock);
    const acme = keyed.get('acme');
    expect(acme).toBeInstanceOf(CircuitBreakerPolicy);
    expect(acme.name).toBe('partner-api');
    expect(acme.key).toBe('acme');
    expect(acme.options.failureThreshold).toBe(1);
    expect(keyed.get('acme')).toBe(acme);
    const globex = keyed.get('globex');
    expect(globex).not.toBe(acme);
    expect(created).toEqual(['acme', 'globex']);
    expect(keyed.size).toBe(2);
    expect(keyed.keys()).toEqual(['acme', 'globex']);
    expect(keyed.list()).toEqual([acme, globex]);
    expect(keyed.peek('initech')).toBeUndefined();
    expect(keyed.has('initech')).toBe(false);
    expect(keyed.size).toBe(2);
  });

  it('keeps keys apart: one key’s failures open only its breaker', async () => {
    const clock = new FakeClock();
    const { keyed } = family(clock);
    await fail(keyed.get('acme'));
    expect(keyed.get('acme').state).toBe('open');
    await expect(keyed.get('acme').execute(() => 'served')).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(keyed.get('globex').execute(() => 'served')).resolves.toBe('served');
    expect(keyed.get('globex').state).toBe('closed');
  });

  it('announces the breaker before the call that created it can run, so a store can attach it first', () => {
    const clock = new FakeClock();
    const keyed = KeyedCircuitBreakers.fromOptions({ name: 'partner-api', clock });
    const seen: [string | undefined, CircuitBreakerState][] = [];
    keyed.onCreated((breaker) => {
      seen.push([breaker.key, breaker.state]);
      breaker.applyRemote('open', clock.now());
    });
    expect(keyed.get('acme').state).toBe('open');
    expect(seen).toEqual([['acme', 'closed']]);
  });

  it('rejects a key that is not a string, and a factory that does not build { name, key }', () => {
    const clock = new FakeClock();
    const { keyed } = family(clock);
    expect(() => keyed.get(42 as never)).toThrow(new TypeError('Circuit breaker family "partner-api": a key must be a string (got number)'));
    const wrongKey = new KeyedCircuitBreakers({ name: 'partner-api', create: () => new CircuitBreakerPolicy({ name: 'partner-api', key: 'other' }) });
    expect(() => wrongKey.get('acme')).toThrow('create(key) must return a CircuitBreakerPolicy built with { name: "partner-api", key }');
    const wrongName = new KeyedCircuitBreakers({ name: 'partner-api', create: (key) => new CircuitBreakerPolicy({ name: 'other', key }) });
    expect(() => wrongName.get('acme')).toThrow(TypeError);
    expect(wrongKey.size + wrongName.size).toBe(0);
  });

  it('validates its options when built, naming the field', () => {
    expect(() => KeyedCircuitBreakers.fromOptions({ name: 'partner-api', failureThreshold: 0 })).toThrow(
      'partner-api.failureThreshold must be a positive integer (got 0)',
    );
    expect(() => KeyedCircuitBreakers.fromOptions({ name: 'partner-api', validationPath: 'circuitBreakers.partner-api', maxKeys: 0 })).toThrow(
      'circuitBreakers.partner-api.maxKeys must be a positive integer (got 0)',
    );
    expect(() => KeyedCircuitBreakers.fromOptions({ name: 'partner-api', keyIdleTimeout: 1.5 })).toThrow(
      'partner-api.keyIdleTimeout must be a positive integer (got 1.5)',
    );
    expect(() => KeyedCircuitBreakers.fromOptions({ name: 'partner-api', key: 'acme' })).toThrow('partner-api.key is given per key by the family');
    expect(() => new KeyedCircuitBreakers({ name: '', create: () => new CircuitBreakerPolicy() })).toThrow(InvalidOptionsError);
    expect(() => new KeyedCircuitBreakers({ name: 'x', create: undefined as never })).toThrow('keyedCircuitBreakers.x.create is required');
    expect(() => new KeyedCircuitBreakers({ name: 'x', create: () => new CircuitBreakerPolicy(), idleTimeoutMs: -1 })).toThrow(
      'keyedCircuitBreakers.x.idleTimeoutMs must be a positive integer (got -1)',
    );
    expect(() => new KeyedCircuitBreakers({ name: 'x', create: () => new CircuitBreakerPolicy(), critical: 'yes' as never })).toThrow(
      'keyedCircuitBreakers.x.critical must be a boolean (got "yes")',
    );
  });

  it('takes maxKeys and keyIdleTimeout from the breaker options, defaulting to 1000 and 10 minutes', () => {
    const defaults = KeyedCircuitBreakers.fromOptions({ name: 'a' });
    expect([defaults.maxKeys, defaults.idleTimeoutMs]).toEqual([1000, 600_000]);
    const given = KeyedCircuitBreakers.fromOptions({ name: 'b', maxKeys: 3, keyIdleTimeout: 5_000 });
    expect([given.maxKeys, given.idleTimeoutMs]).toEqual([3, 5_000]);
    expect([defaults.critical, KeyedCircuitBreakers.fromOptions({ name: 'c', critical: true }).critical]).toEqual([false, true]);
    expect(given.get('k').options.maxKeys).toBe(3);
  });
});

describe('KeyedCircuitBreakers: bounded by maxKeys', () => {
  it('evicts the least recently used key to make room, a use moving a key to the front', () => {
    const clock = new FakeClock();
    const { keyed, removed } = family(clock, { maxKeys: 3 });
    const a = keyed.get('a');
    keyed.get('b');
    keyed.get('c');
    keyed.get('a'); // b is now the least recently used
    keyed.get('d');
    expect(removed).toEqual(['b:max-keys']);
    expect(keyed.keys()).toEqual(['a', 'c', 'd']);
    expect(keyed.get('a')).toBe(a);
    keyed.get('e');
    expect(removed).toEqual(['b:max-keys', 'c:max-keys']);
    expect(keyed.size).toBe(3);
  });

  it('evicts the least recently used closed breaker before any open one', async () => {
    const clock = new FakeClock();
    const { keyed, removed } = family(clock, { maxKeys: 3 });
    await fail(keyed.get('a'));
    keyed.get('b');
    keyed.get('c');
    keyed.get('d');
    expect(removed).toEqual(['b:max-keys']);
    expect(keyed.peek('a')!.state).toBe('open');
  });

  it('never drops a breaker still open for room: a flood of new keys is refused until its open period is over', async () => {
    const clock = new FakeClock();
    const { keyed, removed } = family(clock, { maxKeys: 3 });
    // A real tenant's breaker is open; attackers fill the other slots with failing keys.
    await fail(keyed.get('tenant'));
    await fail(keyed.get('attacker-1'));
    await fail(keyed.get('attacker-2'));
    for (let i = 3; i < 1_000; i++) {
      const refused = (() => {
        try {
          keyed.get(`attacker-${i}`);
          return undefined;
        } catch (error) {
          return error;
        }
      })();
      expect(refused).toBeInstanceOf(CircuitOpenError);
      expect(refused).toMatchObject({ retryAfterMs: 30_000, message: 'Circuit breaker "partner-api" is full (every one of its 3 keys is open)' });
    }
    expect(keyed.refusedKeys).toBe(997);
    expect(removed).toEqual([]);
    // The tenant's breaker is still there, still open: its next call does not reach the dependency.
    expect(keyed.peek('tenant')!.state).toBe('open');
    await expect(keyed.get('tenant').execute(async () => 'reached')).rejects.toBeInstanceOf(CircuitOpenError);
    // Once an open period is over, its breaker may give way (the least recently used such one).
    clock.advance(30_000);
    keyed.get('newcomer');
    expect(removed).toEqual(['attacker-1:max-keys']);
  });

  it('gives way with a half-open or disabled breaker, never with one forced open', async () => {
    const clock = new FakeClock();
    const { keyed, removed } = family(clock, { maxKeys: 2 });
    keyed.get('forced').forceOpen();
    keyed.get('disabled').disable();
    keyed.get('new');
    expect(removed).toEqual(['disabled:max-keys']);
    await fail(keyed.get('new'));
    clock.advance(30_000);
    // `new` is due a trial: its next call makes it half-open, and then it may give way.
    await fail(keyed.get('new')).catch(() => undefined);
    expect(() => keyed.get('other')).toThrow(CircuitOpenError);
    clock.advance(30_000);
    const trial = keyed.get('new').execute(() => new Promise<never>(() => undefined));
    expect(keyed.peek('new')!.state).toBe('half-open');
    keyed.get('other');
    expect(removed).toEqual(['disabled:max-keys', 'new:max-keys']);
    expect(keyed.peek('forced')!.state).toBe('forced-open');
    void trial;
  });

  it('refuses a key longer than maxKeyLength without storing it', () => {
    const clock = new FakeClock();
    const { keyed, created } = family(clock, { maxKeyLength: 8 });
    keyed.get('12345678');
    expect(() => keyed.get('123456789')).toThrow(new RangeError('Circuit breaker family "partner-api": a key may be at most 8 characters (got 9)'));
    expect(() => family(clock).keyed.get('k'.repeat(257))).toThrow('a key may be at most 256 characters (got 257)');
    expect(created).toEqual(['12345678']);
    expect(keyed.size).toBe(1);
  });

  it('keeps the counts of dropped keys in its totals', async () => {
    const clock = new FakeClock();
    const { keyed } = family(clock, { maxKeys: 1, failureThreshold: 5, durationBuckets: [10] });
    await keyed.get('a').execute(async () => 1);
    await fail(keyed.get('a'));
    keyed.get('b');
    expect(keyed.retiredCalls).toEqual({ success: 1, failure: 1, ignored: 0, notPermitted: 0, slow: 0 });
    expect(keyed.retiredDurationHistogram).toMatchObject({ count: 2, counts: [2, 0] });
  });

  it('matches a naive model (scan everything) and never holds more than maxKeys, whatever the keys, states and time', () => {
    const IDLE = 5 * MINUTE;
    const RECOVERY = 8 * MINUTE;
    /** The rules, written the slow and obvious way: every entry is looked at on every access. */
    class Model {
      readonly entries = new Map<string, { state: 'closed' | 'open'; lastUsed: number; seq: number; openedAt: number }>();
      private seq = 0;
      constructor(private readonly maxKeys: number) {}
      /** False when the key is refused: every slot holds a breaker still open. */
      use(key: string, now: number): boolean {
        const entry = this.entries.get(key);
        if (entry !== undefined) {
          entry.lastUsed = now;
          entry.seq = this.seq++;
          this.evictIdle(now);
          return true;
        }
        this.evictIdle(now);
        if (this.entries.size >= this.maxKeys) {
          const room = this.oldest('closed', now) ?? this.oldest('open', now);
          if (room === undefined) return false;
          this.entries.delete(room);
        }
        this.entries.set(key, { state: 'closed', lastUsed: now, seq: this.seq++, openedAt: NaN });
        return true;
      }
      open(key: string, now: number): void {
        const entry = this.entries.get(key)!;
        if (entry.state === 'open') return; // no transition, no use
        entry.state = 'open';
        entry.lastUsed = now;
        entry.openedAt = now;
        entry.seq = this.seq++;
      }
      evictIdle(now: number): void {
        for (const [key, entry] of [...this.entries]) {
          const limit = entry.state === 'closed' ? IDLE : Math.max(IDLE, RECOVERY);
          if (now - entry.lastUsed >= limit) this.entries.delete(key);
        }
      }
      /** The least recently used closed key, or open key whose open period is over. */
      private oldest(state: 'closed' | 'open', now: number): string | undefined {
        let found: [string, number] | undefined;
        for (const [key, entry] of this.entries) {
          if (entry.state !== state || (state === 'open' && now < entry.openedAt + RECOVERY)) continue;
          if (found === undefined || entry.seq < found[1]) found = [key, entry.seq];
        }
        return found?.[0];
      }
    }
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('get' as const), key: fc.integer({ min: 0, max: 9 }) }),
            fc.record({ op: fc.constant('open' as const), key: fc.integer({ min: 0, max: 9 }) }),
            fc.record({ op: fc.constant('list' as const) }),
            fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 4 * MINUTE }) }),
          ),
          { maxLength: 80 },
        ),
        (maxKeys, ops) => {
          const clock = new FakeClock();
          const keyed = KeyedCircuitBreakers.fromOptions({ name: 'p', clock, maxKeys, keyIdleTimeout: IDLE, recoveryTimeout: RECOVERY });
          const model = new Model(maxKeys);
          for (const step of ops) {
            const now = clock.now();
            if (step.op === 'wait') {
              clock.advance(step.ms);
            } else if (step.op === 'list') {
              // A read drops nothing.
              expect(keyed.keys()).toEqual([...model.entries.keys()]);
            } else {
              const key = String(step.key);
              if (!model.use(key, now)) {
                expect(() => keyed.get(key)).toThrow(CircuitOpenError);
                continue;
              }
              const breaker = keyed.get(key);
              if (step.op === 'open') {
                model.open(key, now);
                breaker.applyRemote('open', now);
              }
            }
            expect(keyed.size).toBe(model.entries.size);
            expect(keyed.size).toBeLessThanOrEqual(maxKeys);
          }
        },
      ),
    );
  });
});

describe('KeyedCircuitBreakers: idle keys, dropped lazily', () => {
  it('drops a closed breaker unused for keyIdleTimeout on the next call of any key, with no timer; a read drops nothing', () => {
    const clock = new FakeClock();
    const { keyed, removed } = family(clock, { keyIdleTimeout: 10 * MINUTE });
    const a = keyed.get('a');
    clock.advance(4 * MINUTE);
    keyed.get('b');
    clock.advance(6 * MINUTE - 1);
    expect(keyed.size).toBe(2);
    expect(keyed.keys()).toEqual(['a', 'b']);
    clock.advance(1);
    // Nothing happens by itself: no timer exists.
    expect(clock.pendingTimers).toBe(0);
    expect(removed).toEqual([]);
    expect(keyed.size).toBe(2);
    expect(keyed.list()).toEqual([keyed.peek('a'), keyed.peek('b')]);
    expect(removed).toEqual([]);
    keyed.get('x'); // a call of another key
    expect(removed).toEqual(['a:idle']);
    clock.advance(4 * MINUTE);
    keyed.get('c');
    expect(removed).toEqual(['a:idle', 'b:idle']);
    const again = keyed.get('a');
    expect(again).not.toBe(a);
    expect(again.key).toBe('a');
  });

  it('a use keeps a key: only keys unused for the whole timeout go', () => {
    const clock = new FakeClock();
    const { keyed, removed } = family(clock, { keyIdleTimeout: 10 * MINUTE });
    keyed.get('a');
    keyed.get('b');
    for (let i = 0; i < 5; i++) {
      clock.advance(3 * MINUTE);
      keyed.get('a');
    }
    expect(removed).toEqual(['b:idle']);
    expect(keyed.keys()).toEqual(['a']);
  });

  it('keeps an open breaker past the idle timeout while its recovery timeout has not passed', async () => {
    const clock = new FakeClock();
    const { keyed, removed } = family(clock, { keyIdleTimeout: MINUTE, recoveryTimeout: 5 * MINUTE });
    const a = keyed.get('a');
    await fail(a);
    clock.advance(2 * MINUTE);
    keyed.get('b');
    expect(keyed.peek('a')).toBe(a);
    expect(removed).toEqual([]);
    // Open for its whole recovery timeout and unused all along: it would admit a trial anyway.
    clock.advance(3 * MINUTE);
    keyed.get('b');
    expect(removed).toEqual(['a:idle']);
  });

  it('with recoveryBackoff, keeps an unused open breaker as long as its longest open period', async () => {
    const clock = new FakeClock();
    const { keyed, removed } = family(clock, { keyIdleTimeout: MINUTE, recoveryTimeout: MINUTE, recoveryBackoff: { maxRecoveryTimeout: 8 * MINUTE } });
    const a = keyed.get('a');
    await fail(a);
    clock.advance(MINUTE);
    await fail(a); // a failed trial: open again, for 2 minutes this time
    expect(a.currentRecoveryTimeout).toBe(2 * MINUTE);
    clock.advance(7 * MINUTE);
    keyed.get('b');
    expect(removed).toEqual([]);
    clock.advance(MINUTE);
    keyed.get('b');
    expect(removed).toEqual(['a:idle']);
  });

  it('counts a state change as a use', async () => {
    const clock = new FakeClock();
    const { keyed, removed } = family(clock, { keyIdleTimeout: 10 * MINUTE, recoveryTimeout: MINUTE });
    const a = keyed.get('a');
    clock.advance(9 * MINUTE);
    a.applyRemote('open', clock.now());
    clock.advance(5 * MINUTE);
    a.applyRemote('closed');
    clock.advance(9 * MINUTE);
    keyed.get('b');
    expect(keyed.peek('a')).toBe(a);
    clock.advance(MINUTE);
    keyed.get('b');
    expect(removed).toEqual(['a:idle']);
  });

  it('never drops a breaker forced open or disabled by hand for idleness', () => {
    const clock = new FakeClock();
    const { keyed, removed } = family(clock, { keyIdleTimeout: MINUTE });
    keyed.get('forced').forceOpen();
    keyed.get('disabled').disable();
    keyed.get('closed');
    clock.advance(60 * MINUTE);
    keyed.get('forced');
    expect(keyed.keys()).toEqual(['forced', 'disabled']);
    expect(removed).toEqual(['closed:idle']);
  });

  it('a use of a held key reads the clock once and drops nothing while nothing is idle', () => {
    const clock = new FakeClock();
    const keyed = KeyedCircuitBreakers.fromOptions({ name: 'p', clock, keyIdleTimeout: MINUTE, maxKeys: 10_000 });
    for (let i = 0; i < 2_000; i++) keyed.get(`k${i}`);
    let reads = 0;
    const now = clock.now.bind(clock);
    clock.now = () => {
      reads++;
      return now();
    };
    // A hot key used again and again: each use reads the clock once and checks the tails only.
    for (let i = 0; i < 1_000; i++) keyed.get('k1999');
    expect(reads).toBe(1_000);
    expect(keyed.size).toBe(2_000);
  });
});

describe('KeyedCircuitBreakers: the family as a whole', () => {
  it('forceOpen, disable and reset apply to every key, and to keys created afterwards until reset', async () => {
    const clock = new FakeClock();
    const { keyed } = family(clock);
    const a = keyed.get('a');
    expect(keyed.state).toBe('closed');
    keyed.forceOpen();
    expect(a.state).toBe('forced-open');
    expect(keyed.get('b').state).toBe('forced-open');
    expect(keyed.manualState).toBe('forced-open');
    expect(keyed.state).toBe('forced-open');
    keyed.disable();
    expect([a.state, keyed.get('b').state, keyed.get('c').state]).toEqual(['disabled', 'disabled', 'disabled']);
    expect(keyed.state).toBe('disabled');
    keyed.reset();
    expect(keyed.manualState).toBeUndefined();
    expect([a.state, keyed.get('d').state]).toEqual(['closed', 'closed']);
    await expect(keyed.get('d').execute(() => 1)).resolves.toBe(1);
  });

  it('states the most severe state among its keys; disabled only when every key is', async () => {
    const clock = new FakeClock();
    const { keyed } = family(clock);
    expect(keyed.state).toBe('closed');
    keyed.get('a').disable();
    expect(keyed.state).toBe('disabled');
    keyed.get('b');
    expect(keyed.state).toBe('closed');
    await fail(keyed.get('b'));
    expect(keyed.state).toBe('open');
    keyed.get('c').forceOpen();
    expect(keyed.state).toBe('forced-open');
    keyed.get('c').reset();
    clock.advance(30_000);
    expect(keyed.state).toBe('open'); // a trial is due, but reading the family starts none
    void keyed.get('b').execute(() => new Promise<never>(() => undefined));
    expect(keyed.state).toBe('half-open');
  });

  it('mostSevereState orders forced-open > open > half-open > closed > disabled', () => {
    expect(mostSevereState([])).toBe('closed');
    expect(mostSevereState([], 'disabled')).toBe('disabled');
    expect(mostSevereState(['disabled', 'disabled'])).toBe('disabled');
    expect(mostSevereState(['disabled', 'closed'])).toBe('closed');
    expect(mostSevereState(['closed', 'half-open', 'disabled'])).toBe('half-open');
    expect(mostSevereState(['half-open', 'open', 'closed'])).toBe('open');
    expect(mostSevereState(['open', 'forced-open', 'half-open'])).toBe('forced-open');
  });

  it('delete and clear drop keys with reason deleted', () => {
    const clock = new FakeClock();
    const { keyed, removed } = family(clock);
    const events: KeyedCircuitBreakerRemoval[] = [];
    keyed.onRemoved((event) => events.push(event));
    const a = keyed.get('a');
    keyed.get('b');
    keyed.get('c');
    expect(keyed.delete('a')).toBe(true);
    expect(keyed.delete('a')).toBe(false);
    expect(events).toEqual([{ name: 'partner-api', key: 'a', breaker: a, reason: 'deleted' }]);
    keyed.clear();
    expect(removed).toEqual(['a:deleted', 'b:deleted', 'c:deleted']);
    expect(keyed.size).toBe(0);
  });

  it('stops following a removed breaker: its later state changes move nothing', async () => {
    const clock = new FakeClock();
    const { keyed } = family(clock, { maxKeys: 2 });
    const a = keyed.get('a');
    keyed.delete('a');
    a.forceOpen();
    keyed.get('b');
    keyed.get('c');
    expect(keyed.keys()).toEqual(['b', 'c']);
    keyed.get('d');
    expect(keyed.keys()).toEqual(['c', 'd']);
  });
});

describe('KeyedCircuitBreakers.derive: something built per key, dropped with its breaker', () => {
  it('builds once per key, around that key’s breaker, and again after the key was evicted', () => {
    const clock = new FakeClock();
    const { keyed } = family(clock, { maxKeys: 2 });
    const builds: string[] = [];
    const lookup = keyed.derive((breaker, key) => {
      builds.push(key);
      return { breaker, key };
    });
    const a = lookup('a');
    expect(a.breaker).toBe(keyed.peek('a'));
    expect(lookup('a')).toBe(a);
    lookup('b');
    lookup('c'); // evicts a
    expect(keyed.has('a')).toBe(false);
    const again = lookup('a');
    expect(again).not.toBe(a);
    expect(again.breaker).toBe(keyed.peek('a'));
    expect(builds).toEqual(['a', 'b', 'c', 'a']);
  });

  it('keeps one slot per lookup and marks the key used', () => {
    const clock = new FakeClock();
    const { keyed, removed } = family(clock, { keyIdleTimeout: MINUTE });
    const first = keyed.derive((_breaker, key) => ({ first: key }));
    const second = keyed.derive((_breaker, key) => ({ second: key }));
    expect(first('a')).toEqual({ first: 'a' });
    expect(second('a')).toEqual({ second: 'a' });
    keyed.get('b');
    clock.advance(MINUTE - 1);
    first('a');
    clock.advance(1);
    keyed.get('a');
    expect(removed).toEqual(['b:idle']);
  });

  it('caches nothing when the build throws, and builds again on the next lookup', () => {
    const clock = new FakeClock();
    const { keyed } = family(clock);
    let attempts = 0;
    const lookup = keyed.derive(() => {
      attempts++;
      if (attempts === 1) throw new Error('not yet');
      return { ok: true };
    });
    expect(() => lookup('a')).toThrow('not yet');
    expect(lookup('a')).toEqual({ ok: true });
    expect(lookup('a')).toEqual({ ok: true });
    expect(attempts).toBe(2);
  });
});
