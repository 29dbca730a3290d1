import { InvalidOptionsError } from '@bulwark/core';

/** Module option keys owned by the live view and the admin endpoints. */
export const LIVE_OPTION_KEYS = ['live', 'admin'] as const;

const ADMIN_KEYS = ['guard'];

/**
 * Checks `live` and `admin` (given the whole options record, for the cross-check with `health`).
 * Enabling admin without a guard fails start-up: an unguarded endpoint that force-opens breakers
 * must never be one typo away.
 */
export function validateLiveOptions(record: Record<string, unknown>): void {
  const live = record['live'];
  if (live !== undefined && typeof live !== 'boolean') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) throw new InvalidOptionsError('live', 'must be a boolean or { guard }', live);
    const entries = live as Record<string, unknown>;
    for (const key of Object.keys(entries)) {
      if (key !== 'guard') throw new InvalidOptionsError(`live.${key}`, 'is not a live view option (known: guard)', entries[key]);
    }
    if (entries['guard'] !== undefined && !isGuard(entries['guard'])) {
      throw new InvalidOptionsError('live.guard', 'must be a Nest guard class (implementing CanActivate) or guard instance', entries['guard']);
    }
  }
  const admin = record['admin'];
  if (admin === undefined) return;
  if (admin === null || typeof admin !== 'object' || Array.isArray(admin)) {
    throw new InvalidOptionsError('admin', 'must be an object naming a guard, e.g. { guard: AdminGuard }', admin);
  }
  const entries = admin as Record<string, unknown>;
  for (const key of Object.keys(entries)) {
    if (!ADMIN_KEYS.includes(key)) throw new InvalidOptionsError(`admin.${key}`, `is not an admin option (known: ${ADMIN_KEYS.join(', ')})`, entries[key]);
  }
  if (!isGuard(entries['guard'])) {
    throw new InvalidOptionsError(
      'admin.guard',
      'must be a Nest guard class (implementing CanActivate) or guard instance: the admin endpoints are never mounted unguarded',
      entries['guard'],
    );
  }
  if (record['health'] === false) {
    throw new InvalidOptionsError('admin', 'needs the health controller (its routes live under health.path), but health is false', admin);
  }
}

function isGuard(value: unknown): boolean {
  if (typeof value === 'function') return typeof (value.prototype as { canActivate?: unknown } | undefined)?.canActivate === 'function';
  return value !== null && typeof value === 'object' && typeof (value as { canActivate?: unknown }).canActivate === 'function';
}
