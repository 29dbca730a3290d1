import type { OverloadPoint } from '../overload-summary.js';

/** A measured point for specs: `figures` over an otherwise quiet run of 8 s at `load` x 160 req/s. */
export function overloadPoint(
  variant: OverloadPoint['variant'],
  load: number,
  figures: { goodputRps: number; p99Ms: number; maxConcurrent?: number; limitAtEnd?: number },
): OverloadPoint {
  const { goodputRps, p99Ms, maxConcurrent, limitAtEnd } = figures;
  return {
    variant,
    ...(maxConcurrent === undefined ? {} : { maxConcurrent }),
    ...(limitAtEnd === undefined ? {} : { limitAtEnd }),
    load,
    offeredRps: load * 160,
    offered: load * 1_280,
    goodputRps,
    okRps: goodputRps,
    p50Ms: 50,
    p99Ms,
    rejected: 0,
    otherNon2xx: 0,
    timeouts: 0,
    connectionErrors: 0,
    appCpuUsPerRequest: 500,
    sendLagP99Ms: 1,
  };
}
