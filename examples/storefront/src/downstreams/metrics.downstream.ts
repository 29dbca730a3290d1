import type { DownstreamHandler } from './chaos-server.js';

/** The metrics service: `GET /metrics` -> figures computed now, slowly drifting with time. */
export const metricsHandler: DownstreamHandler = (url) => {
  if (url.pathname !== '/metrics') return { status: 404, body: { error: 'try GET /metrics' } };
  const now = Date.now();
  const wave = Math.sin(now / 60_000);
  return {
    status: 200,
    body: {
      generatedAt: now,
      ordersPerMinute: Math.round(42 + 12 * wave),
      activeCarts: Math.round(310 + 80 * wave),
      conversionRate: Math.round((2.8 + 0.4 * wave) * 100) / 100,
    },
  };
};
