// Public API of @bulwark/redis. Everything not exported here is internal.
export { RedisStore, redisStore } from './redis.store.js';
export type { RedisRetryBudgetOptions, RedisStoreOptions, ResolvedRedisStoreOptions } from './redis-store.options.js';
export { DEFAULT_REDIS_STORE_OPTIONS } from './redis-store.options.js';
export { RedisRetryBudget } from './redis-retry-budget.js';
export type { RedisClient } from './redis-connection.factory.js';
export type { StoreLogger } from './throttled.logger.js';
