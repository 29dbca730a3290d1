/** The cluster states a breaker's hash can hold. */
const STATES = new Set(['closed', 'open', 'forced-open', 'disabled']);

/** A cluster state, as a script answers it or a transition message carries it. */
export interface ClusterState {
  /** closed | open | forced-open | disabled; `none` (reads only): Redis has no state for the breaker. */
  readonly state: string;
  /** Milliseconds since it opened (open and forced-open), on Redis' clock. */
  readonly ageMs: number;
  /** The generation of the hash (see breaker.scripts.ts). */
  readonly gen: number;
  /** Re-opens from half-open in a row (`recoveryBackoff` lengthens the open period by them). */
  readonly reopens: number;
}

/** A transition published by a script on the store's channel. */
export interface TransitionMessage extends ClusterState {
  readonly id: string;
  readonly origin: string;
}

/**
 * Reads a message from the channel: a JSON object with a string `id` and `origin`, a known
 * `state`, a finite `ageMs` of at least 0 and a whole `gen` of at least 1. Anything else (nothing
 * a script publishes) answers why it is not valid, and names the breaker when it can.
 */
export function parseTransitionMessage(text: string): TransitionMessage | { invalid: string; id?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { invalid: 'not JSON' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { invalid: 'not a JSON object' };
  const { id, state, ageMs, gen, origin, reopens = 0 } = parsed as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0) return { invalid: 'no breaker id' };
  const problem = stateProblem(state, ageMs, gen, false) ?? reopensProblem(reopens) ?? (typeof origin === 'string' ? undefined : 'origin is not a string');
  if (problem !== undefined) return { invalid: problem, id };
  return { id, state: state as string, ageMs: ageMs as number, gen: gen as number, reopens: reopens as number, origin: origin as string };
}

/**
 * Reads `{ state, ageMs, gen, reopens }` from a script's answer (`state, ageMs, gen, repaired,
 * reopens`), starting at `offset`; a string saying what is wrong when it is not a valid cluster
 * state (a reply no script of this version gives).
 */
export function parseClusterState(answer: unknown, offset = 0): ClusterState | string {
  if (!Array.isArray(answer)) return 'the answer is not a list';
  const [state, ageMs, gen, reopens] = [answer[offset], Number(answer[offset + 1]), Number(answer[offset + 2]), Number(answer[offset + 4] ?? 0)];
  return stateProblem(state, ageMs, gen, true) ?? reopensProblem(reopens) ?? { state: state as string, ageMs, gen, reopens };
}

function reopensProblem(reopens: unknown): string | undefined {
  return typeof reopens === 'number' && Number.isSafeInteger(reopens) && reopens >= 0 ? undefined : `reopens ${JSON.stringify(reopens)} is not a whole number >= 0`;
}

function stateProblem(state: unknown, ageMs: unknown, gen: unknown, answer: boolean): string | undefined {
  if (typeof state !== 'string' || !(STATES.has(state) || (answer && state === 'none'))) return `unknown state ${JSON.stringify(state)}`;
  if (typeof ageMs !== 'number' || !Number.isFinite(ageMs) || ageMs < 0) return `ageMs ${JSON.stringify(ageMs)} is not a finite number >= 0`;
  if (typeof gen !== 'number' || !Number.isSafeInteger(gen) || gen < (answer ? 0 : 1)) return `gen ${JSON.stringify(gen)} is not a whole number >= ${answer ? 0 : 1}`;
  return undefined;
}
