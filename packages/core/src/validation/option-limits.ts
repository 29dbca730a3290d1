/**
 * Upper bounds of option values, checked at validation so that a typo fails start-up instead of
 * misbehaving later. Node runs a timer set above 2^31 - 1 ms after 1 ms (warning each time), so no
 * duration may exceed it; the others bound what an option makes the process keep in memory.
 */

/** Longest duration of any option, in ms (2^31 - 1, about 24.8 days): the longest timer delay. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** Largest count window (`window: { type: 'count', size }`): one byte per call, allocated up front. */
export const MAX_COUNT_WINDOW_SIZE = 100_000;

/** Most retries of one call (`maxRetries`). */
export const MAX_RETRIES = 100;

/** Most keys of a family of per-key breakers (`maxKeys`): each keeps a breaker in memory. */
export const MAX_KEYS = 100_000;

/** Longest key of a per-key breaker (`maxKeyLength`): keys are kept, and shown where allowed. */
export const MAX_KEY_LENGTH = 10_000;

/** Most argument lists `staleIfError` remembers (`maxEntries`): each keeps a result in memory. */
export const MAX_STALE_ENTRIES = 1_000_000;

/** Most calls waiting for a bulkhead slot (`maxQueue`): each is held in memory while it waits. */
export const MAX_BULKHEAD_QUEUE = 100_000;

/** Largest concurrency limit an adaptive limit may reach (`maxLimit`), and its windows' sample counts. */
export const MAX_ADAPTIVE_LIMIT = 100_000;
