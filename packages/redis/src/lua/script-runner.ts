import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** One script invocation of a batch. */
export interface ScriptCall {
  readonly script: string;
  readonly keys: readonly string[];
  readonly args: readonly (string | number)[];
}

/**
 * What one call of a batch got: Redis' answer, or the error Redis answered for that call alone
 * (a script that failed on one breaker's data). Either way Redis was reachable.
 */
export type ScriptResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Error };

/**
 * Runs batches of Lua scripts in one round-trip. Hashes are computed locally; a server that does
 * not know a script yet (first use, or a restarted Redis) answers NOSCRIPT, and those calls are
 * sent again once with EVAL, which also caches them.
 *
 * Each call stands alone: an error Redis answers for one call (a script error on one breaker's
 * data, a key of the wrong type) is that call's result, and the others' answers are kept. Errors
 * that say Redis itself is not serving (connection lost, timeout, LOADING, CLUSTERDOWN, READONLY
 * after a failover, out of memory, ...) reject the whole batch: the store's link counts them.
 *
 * On a single Redis the batch is one pipeline. On Redis Cluster a pipeline may only hold keys of
 * one node, so each call is sent on its own (each touches the keys of one slot); they still go out
 * together and are answered in about one round-trip.
 */
export class ScriptRunner {
  private readonly shas = new Map<string, string>();

  constructor(private readonly client: Redis | Cluster) {}

  async batch(calls: readonly ScriptCall[]): Promise<ScriptResult[]> {
    if (calls.length === 0) return [];
    const results = this.client.isCluster ? await this.separately(calls) : await this.pipelined(calls);
    const missing: number[] = [];
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      if (result.ok) continue;
      if (result.error.message.startsWith('NOSCRIPT')) missing.push(i);
      else if (!answeredForThisCall(result.error)) throw result.error;
    }
    if (missing.length === 0) return results;
    const again = await Promise.all(missing.map((i) => settle(this.client.eval(calls[i]!.script, calls[i]!.keys.length, ...calls[i]!.keys, ...calls[i]!.args))));
    missing.forEach((index, i) => {
      const result = again[i]!;
      if (!result.ok && !answeredForThisCall(result.error)) throw result.error;
      results[index] = result;
    });
    return results;
  }

  private async pipelined(calls: readonly ScriptCall[]): Promise<ScriptResult[]> {
    const pipeline = this.client.pipeline();
    for (const call of calls) pipeline.evalsha(this.sha(call.script), call.keys.length, ...call.keys, ...call.args);
    const answers = (await pipeline.exec()) ?? [];
    return calls.map((_, i) => {
      const [error, value] = answers[i] ?? [new Error('no answer from Redis'), undefined];
      return error === null ? { ok: true, value } : { ok: false, error };
    });
  }

  private separately(calls: readonly ScriptCall[]): Promise<ScriptResult[]> {
    return Promise.all(calls.map((call) => settle(this.client.evalsha(this.sha(call.script), call.keys.length, ...call.keys, ...call.args))));
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

function settle(promise: Promise<unknown>): Promise<ScriptResult> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error: error instanceof Error ? error : new Error(String(error)) }),
  );
}

/**
 * Whether `error` is Redis' answer about this call's own keys or script (so the other calls of the
 * batch are unaffected and Redis is up): a script error, or a key of the wrong type.
 */
function answeredForThisCall(error: Error): boolean {
  if (error.name !== 'ReplyError') return false;
  const message = error.message;
  return message.startsWith('WRONGTYPE') || /^ERR .*(script|user_script)/i.test(message) || message.includes('user_script:');
}
