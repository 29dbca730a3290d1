/** How a downstream misbehaves. Every request is judged by the settings at its arrival. */
export interface ChaosSettings {
  /** Share of requests answered with HTTP 503, 0 to 1. */
  errorRate: number;
  /** Added before answering, in ms. */
  latencyMs: number;
  /** Never answer (the connection stays open until the caller gives up). */
  hang: boolean;
  /** Reset every connection at once, as a crashed service would. */
  down: boolean;
}

export const HEALTHY: Readonly<ChaosSettings> = Object.freeze({ errorRate: 0, latencyMs: 0, hang: false, down: false });

const MAX_LATENCY_MS = 10 * 60_000;

/** Validates a `POST /chaos` body: a partial `ChaosSettings`. Throws a message fit for a 400. */
export function parseChaosPatch(body: unknown): Partial<ChaosSettings> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('expected a JSON object');
  const patch: Partial<ChaosSettings> = {};
  for (const [key, value] of Object.entries(body)) {
    switch (key) {
      case 'errorRate':
        if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new Error('errorRate must be a number from 0 to 1');
        patch.errorRate = value;
        break;
      case 'latencyMs':
        if (typeof value !== 'number' || !(value >= 0 && value <= MAX_LATENCY_MS)) {
          throw new Error(`latencyMs must be a number from 0 to ${MAX_LATENCY_MS}`);
        }
        patch.latencyMs = value;
        break;
      case 'hang':
      case 'down':
        if (typeof value !== 'boolean') throw new Error(`${key} must be true or false`);
        patch[key] = value;
        break;
      default:
        throw new Error(`unknown setting "${key}" (known: errorRate, latencyMs, hang, down)`);
    }
  }
  return patch;
}
