import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** One script invocation of a batch. */
export interface ScriptCall {
  readonly script: string;
  readonly keys: readonly string[];
  readonly args: readonly (string | number)[];
}

/**
 * Runs batches of Lua scripts in one round-trip (a pipeline of EVALSHA). Hashes are computed
 * locally; a server that does not know a script yet (first use, or a restarted Redis) answers
 * NOSCRIPT, and those calls are sent again once with EVAL, which also caches them.
 */
export class ScriptRunner {
  private readonly shas = new Map<string, string>();

  constructor(private readonly client: Redis) {}

  async batch(calls: readonly ScriptCall[]): Promise<unknown[]> {
    if (calls.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const call of calls) pipeline.evalsha(this.sha(call.script), call.keys.length, ...call.keys, ...call.args);
    const answers = (await pipeline.exec()) ?? [];
    const results: unknown[] = new Array(calls.length);
    const missing: number[] = [];
    for (let i = 0; i < calls.length; i++) {
      const [error, result] = answers[i] ?? [new Error('no answer from Redis'), undefined];
      if (error === null) results[i] = result;
      else if (String((error as Error).message).startsWith('NOSCRIPT')) missing.push(i);
      else throw error;
    }
    if (missing.length > 0) {
      const retry = this.client.pipeline();
      for (const i of missing) retry.eval(calls[i]!.script, calls[i]!.keys.length, ...calls[i]!.keys, ...calls[i]!.args);
      const again = (await retry.exec()) ?? [];
      missing.forEach((index, i) => {
        const [error, result] = again[i] ?? [new Error('no answer from Redis'), undefined];
        if (error !== null) throw error;
        results[index] = result;
      });
    }
    return results;
  }

  private sha(script: string): string {
    let sha = this.shas.get(script);
    if (sha === undefined) {
      sha = createHash('sha1').update(script).digest('hex');
      this.shas.set(script, sha);
    }
    return sha;
  }
}
