import 'reflect-metadata';
import { describe } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The testing recipe of the docs (docs/testing-failure-paths.md), verbatim below: it compiles with
// the specs and runs as written.
describe("the docs' testing recipe", () => {
  it('is the code of this file, verbatim', () => {
    const page = readFileSync(fileURLToPath(new URL('../../../docs/testing-failure-paths.md', import.meta.url)), 'utf8');
    const section = page.slice(page.indexOf('## A breaker that opens and closes'));
    const recipe = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(recipe).toBeDefined();
    expect(readFileSync(fileURLToPath(import.meta.url), 'utf8')).toContain(recipe!);
  });
});

import { expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CircuitBreaker, CircuitBreakerRegistry, CircuitOpenError, FakeClock, ResilienceModule, Retry } from '@bulwark/nestjs';

@Injectable()
class PricingClient {
  calls = 0;
  down = true;

  @Retry({ maxRetries: 2 })
  @CircuitBreaker('pricing')
  async price(sku: string): Promise<number> {
    this.calls++;
    if (this.down) throw new Error(`pricing is down (${sku})`);
    return 42;
  }
}

it('opens the pricing breaker after three failures and closes it after a good trial', async () => {
  const clock = new FakeClock();
  const moduleRef = await Test.createTestingModule({
    imports: [ResilienceModule.forRoot({ clock, circuitBreakers: { pricing: { failureThreshold: 3, recoveryTimeout: 30_000 } } })],
    providers: [PricingClient],
  }).compile();
  await moduleRef.init();
  const client = moduleRef.get(PricingClient);
  const breaker = moduleRef.get(CircuitBreakerRegistry).get('pricing')!;

  // Three attempts (two retries, their backoff on the fake clock) fail: the breaker opens.
  await expect(clock.settle(client.price('sku-1'))).rejects.toThrow('pricing is down (sku-1)');
  expect(client.calls).toBe(3);
  expect(breaker.snapshot().state).toBe('open');

  // Open: refused at once, the method is not called.
  await expect(client.price('sku-1')).rejects.toBeInstanceOf(CircuitOpenError);
  expect(client.calls).toBe(3);

  // 30 s later the dependency is back: the next call is the trial, and it closes the breaker.
  client.down = false;
  await clock.tickAsync(30_000);
  expect(await clock.settle(client.price('sku-1'))).toBe(42);
  expect(breaker.snapshot().state).toBe('closed');
  await moduleRef.close();
});
