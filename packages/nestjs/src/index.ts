// Public API of @bulwark/nestjs. Everything not exported here is internal.
export { ResilienceModule } from './resilience.module.js';
export type {
  ResilienceDefaults,
  ResilienceErrorMappingOptions,
  ResilienceFeatureOptions,
  ResilienceHealthOptions,
  ResilienceModuleAsyncOptions,
  ResilienceModuleOptions,
  ResilienceOptionsFactory,
  LoadSheddingOptions,
  TimeoutSetting,
} from './options/resilience-options.interface.js';
export type { ResilienceBulkheadOptions } from './options/bulkhead-options.js';
export { RESILIENCE_OPTIONS, DEFAULT_HEALTH_PATH, DEFAULT_TIMEOUT_MS } from './resilience.constants.js';
export { InjectResilienceOptions } from './options/inject-resilience-options.decorator.js';

export { CircuitBreaker } from './decorators/circuit-breaker.decorator.js';
export { Retry } from './decorators/retry.decorator.js';
export { Timeout } from './decorators/timeout.decorator.js';
export { Fallback } from './decorators/fallback.decorator.js';
export { Bulkhead } from './decorators/bulkhead.decorator.js';
export { SkipResilience } from './decorators/skip-resilience.decorator.js';
export { Priority } from './load-shedding/priority.decorator.js';
export { Deadline } from './deadlines/deadline.decorator.js';
export { DEFAULT_MAX_REQUEST_DEADLINE_MS, DEFAULT_REQUEST_DEADLINE_HEADER } from './deadlines/deadlines.options.js';
export type { DeadlinesOptions } from './deadlines/deadlines.options.js';
export type { FallbackDecoratorOptions, FallbackFunction } from './decorators/resilience-spec.interface.js';
export type { CircuitBreakerDecoratorOptions, CircuitBreakerKeyFunction } from './decorators/resilience-spec.interface.js';

export { CircuitBreakerRegistry } from './registries/circuit-breaker.registry.js';
export { RetryRegistry } from './registries/retry.registry.js';
export { TimeoutRegistry } from './registries/timeout.registry.js';
export { BulkheadRegistry } from './registries/bulkhead.registry.js';
export type { AdaptiveBulkheadLimit, AnyBulkheadPolicy } from './registries/bulkhead.registry.js';
export { PolicyRegistry } from './registries/policy.registry.js';

export { ResilienceHealthController } from './health/resilience-health.controller.js';
export { ResilienceHealthService } from './health/resilience-health.service.js';
export type {
  AdaptiveBulkheadHealth,
  BulkheadHealth,
  CircuitBreakerHealth,
  LoadSheddingHealth,
  ResilienceHealthReport,
  ResilienceHealthStatus,
  StaticBulkheadHealth,
} from './health/resilience-health.service.js';
export { ResilienceHealthIndicator } from './health/resilience-health.indicator.js';
export type { ResilienceIndicatorDetails } from './health/resilience-health.indicator.js';
export { ResilienceErrorInterceptor } from './errors/resilience-error.interceptor.js';
export { isClientError } from './errors/client-error.classifier.js';
export { ResilienceEventBus, RECENT_EVENTS } from './events/resilience-event-bus.js';
export type { ResilienceEvent, ResilienceEventType } from './events/resilience-event.interface.js';
export type { ResilienceAdminAction, ResilienceAdminOptions } from './admin/admin-options.interface.js';
export type { ResilienceLiveOptions } from './live/live-options.interface.js';
export type { DashboardCircuitBreaker, ResilienceDashboardData } from './live/dashboard-data.js';
export { FallbackRegistry } from './registries/fallback.registry.js';
export type {
  PrometheusRegistry,
  ResilienceLoggingOptions,
  ResilienceMetricsOptions,
  ResilienceOpenTelemetryOptions,
  TransitionLogLevel,
} from './observability/observability-options.interface.js';

// The core's errors, option types and signal access, so applications need one import.
export {
  BulkheadFullError,
  CircuitOpenError,
  InvalidOptionsError,
  KeyedCircuitBreakers,
  LoadShedError,
  ResilienceError,
  TimeoutError,
  currentSignal,
  DEFAULT_TIMEOUT_PROFILES,
  // For tests: `ResilienceModule.forRoot({ clock: new FakeClock() })`, then `clock.settle(call)`.
  FakeClock,
} from '@bulwark/core';
export type {
  AdaptiveBulkheadOptions,
  AdaptiveLimitOptions,
  AdmissionPriority,
  AdmissionSnapshot,
  BulkheadOptions,
  Clock,
  CircuitBreakerOptions,
  CircuitBreakerState,
  CircuitBreakerSnapshot,
  JitterKind,
  KeyedCircuitBreakerRemoval,
  LimitAlgorithm,
  LimitAlgorithmName,
  LoadShedReason,
  RecoveryBackoffOptions,
  ResilienceStore,
  RetryOptions,
  SlidingWindowOptions,
  StaleIfErrorOptions,
  TimeoutOptions,
} from '@bulwark/core';
