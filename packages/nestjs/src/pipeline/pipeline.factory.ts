import {
  composePolicies,
  FallbackPolicy,
  type FallbackPolicyOptions,
  type ResiliencePolicy,
} from '@bulwark/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  DECORATOR_NAMES,
  type CircuitBreakerSpec,
  type FallbackSpec,
  type PolicySpec,
} from '../decorators/resilience-spec.interface.js';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { BulkheadRegistry } from '../registries/bulkhead.registry.js';
import { CircuitBreakerRegistry } from '../registries/circuit-breaker.registry.js';
import type { PolicyRegistry } from '../registries/policy.registry.js';
import { RetryRegistry } from '../registries/retry.registry.js';
import { TimeoutRegistry } from '../registries/timeout.registry.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { ResilienceEventBus } from '../events/resilience-event-bus.js';
import { FallbackRegistry } from '../registries/fallback.registry.js';
import type { DecoratedMethod } from '../discovery/decorated-methods.js';
import { KeyedBreakerPolicy } from './keyed-breaker.policy.js';
import { MethodPipeline, type MethodShape } from './method-pipeline.js';

/**
 * Turns the specs a method's decorators recorded into its composed policy, resolving names
 * through the application's registries (so `@CircuitBreaker('pricing')` on two methods is one
 * breaker) and enforcing `strict`. Runs at start-up only.
 */
@Injectable()
export class PipelineFactory {
  private readonly logger = new Logger('Bulwark');

  constructor(
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions,
    private readonly circuitBreakers: CircuitBreakerRegistry,
    private readonly retries: RetryRegistry,
    private readonly timeouts: TimeoutRegistry,
    private readonly bulkheads: BulkheadRegistry,
    private readonly events: ResilienceEventBus,
    private readonly fallbacks: FallbackRegistry,
  ) {}

  create(method: DecoratedMethod): MethodPipeline {
    const label = `${method.cls.name}.${String(method.key)}`;
    const { specs } = method;
    const policies: ResiliencePolicy[] = [];
    if (specs.fallback !== undefined) policies.push(this.fallback(method, label, specs.fallback));
    if (specs.retry !== undefined) policies.push(this.named(this.retries, 'retry', specs.retry, label));
    const breakerSpec = specs.circuitBreaker;
    const keyed = breakerSpec?.key !== undefined;
    if (breakerSpec !== undefined && !keyed) policies.push(this.named(this.circuitBreakers, 'circuitBreaker', breakerSpec, label));
    if (specs.timeout !== undefined) policies.push(this.timeout(specs.timeout, label));
    if (specs.bulkhead !== undefined) policies.push(this.named(this.bulkheads, 'bulkhead', specs.bulkhead, label));
    const returnType: unknown = Reflect.getMetadata('design:returntype', method.cls.prototype, method.key);
    const declared = declaredShape(returnType);
    if (keyed) return new MethodPipeline(label, this.keyed(breakerSpec!, policies, label), declared, this.logger);
    // A lone timeout gives the call its scope itself; any other policy runs inside a composition,
    // which is what makes `currentSignal()` available (and abortable by unsubscribing) in the method.
    const policy = policies.length === 1 && policies[0]!.kind === 'timeout' ? policies[0]! : composePolicies(...policies);
    return new MethodPipeline(label, policy, declared, this.logger);
  }

  /**
   * A per-key breaker: the other policies are shared by every key; each key gets its own breaker
   * and one composition around it, built on the key's first call and dropped with its breaker.
   */
  private keyed(spec: CircuitBreakerSpec, shared: readonly ResiliencePolicy[], label: string): ResiliencePolicy {
    const source = `${DECORATOR_NAMES.circuitBreaker}(${label})`;
    if (spec.name !== undefined) this.checkStrict(this.circuitBreakers.isConfigured(spec.name), 'circuitBreaker', spec.name, label);
    const family = this.circuitBreakers.getOrCreateFamily(spec.name ?? label, spec.options, source);
    const inspectsResults = family.inspectsResults || shared.some((policy) => policy.inspectsResults === true);
    return new KeyedBreakerPolicy(label, spec.key!, family.derive((breaker) => composePolicies(...shared, breaker)), inspectsResults);
  }

  private named<P extends ResiliencePolicy, O extends object>(
    registry: PolicyRegistry<P, O>,
    kind: 'retry' | 'circuitBreaker' | 'bulkhead',
    spec: PolicySpec<O>,
    label: string,
  ): P {
    const source = `${DECORATOR_NAMES[kind]}(${label})`;
    if (spec.name !== undefined) this.checkStrict(registry.isConfigured(spec.name), kind, spec.name, label);
    return registry.getOrCreate(spec.name ?? label, spec.options, source);
  }

  private timeout(spec: { name?: string; duration?: number }, label: string): ResiliencePolicy {
    const source = `@Timeout(${label})`;
    if (spec.name !== undefined) this.checkStrict(this.timeouts.isConfigured(spec.name), 'timeout', spec.name, label);
    // Strict or not: a misspelt profile would otherwise become a new timeout of the default length.
    if (spec.name !== undefined && spec.duration === undefined && !this.timeouts.isKnown(spec.name)) {
      throw new Error(
        `@Timeout('${spec.name}') on ${label}: "${spec.name}" is neither a built-in timeout profile nor configured in timeouts ` +
          `(known: ${this.timeouts.knownNames().join(', ')}); fix the name, add it to ResilienceModule.forRoot({ timeouts: { ${spec.name}: ms } }), ` +
          `or give its duration: @Timeout({ name: '${spec.name}', duration: ms }).`,
      );
    }
    const name = spec.name ?? label;
    const duration = spec.duration ?? (spec.name === undefined ? this.timeouts.defaultDuration : undefined);
    return this.timeouts.getOrCreate(name, duration === undefined ? undefined : { duration }, source);
  }

  private fallback(method: DecoratedMethod, label: string, spec: FallbackSpec): FallbackPolicy {
    const { method: methodName, fn, on, onResult, staleIfError, key } = spec.options;
    const options: FallbackPolicyOptions = { name: label, clock: this.options.clock, validationPath: `@Fallback(${label})` };
    if (methodName !== undefined) {
      const target = (method.cls.prototype as Record<string, unknown>)[methodName];
      if (typeof target !== 'function') {
        throw new Error(`@Fallback('${methodName}') on ${label}: ${method.cls.name} has no method "${methodName}"`);
      }
      options.handler = function (this: Record<string, (...a: unknown[]) => unknown>, ...argsThenError: unknown[]) {
        return this[methodName]!(...argsThenError);
      };
    } else if (fn !== undefined) {
      options.handler = fn;
    }
    if (on !== undefined) options.on = on;
    if (onResult !== undefined) options.onResult = onResult;
    if (staleIfError !== undefined) options.staleIfError = staleIfError;
    if (key !== undefined) options.key = key;
    const policy = new FallbackPolicy(options);
    this.events.observeFallback(policy);
    this.fallbacks.register(policy);
    return policy;
  }

  private checkStrict(configured: boolean, kind: keyof typeof DECORATOR_NAMES, name: string, label: string): void {
    if (configured || this.options.strict !== true) return;
    const section = { retry: 'retries', circuitBreaker: 'circuitBreakers', timeout: 'timeouts', bulkhead: 'bulkheads', fallback: '' }[kind];
    throw new Error(
      `${DECORATOR_NAMES[kind]}('${name}') on ${label}: no ${section}.${name} is configured and ResilienceModule is strict; ` +
        `add it to ResilienceModule.forRoot({ ${section}: { ${name}: { ... } } }) or fix the name.`,
    );
  }
}

/**
 * The shape declared metadata settles: `Promise` or an Observable class. Anything else (no
 * annotation, `any`, an interface, a type-only import, a build without decorator metadata) leaves
 * it to the method's first invocation.
 */
function declaredShape(returnType: unknown): MethodShape | undefined {
  if (returnType === Promise) return 'promise';
  if (typeof returnType === 'function' && (returnType.name === 'Observable' || isObservableClass(returnType))) return 'observable';
  return undefined;
}

function isObservableClass(type: unknown): boolean {
  let proto = (type as { prototype?: object }).prototype;
  while (proto) {
    if (proto.constructor?.name === 'Observable') return true;
    proto = Object.getPrototypeOf(proto) as object | undefined;
  }
  return false;
}
