import { CircuitBreakerRegistry, RESILIENCE_OPTIONS, type ResilienceModuleOptions } from '@bulwark/nestjs';
import { HttpModule, type HttpModuleOptions } from '@nestjs/axios';
import { Module, type DynamicModule, type FactoryProvider, type ModuleMetadata } from '@nestjs/common';
import type { AxiosRequestConfig } from 'axios';
import { resilientAxiosAdapter, type ResilientAxiosAdapterOptions } from '../axios/resilient-axios.adapter.js';
import { httpCircuitBreakerOptions } from '../client/http-resilience.js';
import { validateHttpResilienceOptions } from '../options/http-resilience.options.js';

/** A resilient `HttpService`: the client's resilience, and axios' own request config. */
export interface ResilientHttpModuleOptions extends Omit<ResilientAxiosAdapterOptions, 'circuitBreakers'> {
  /** axios' config of every request of this `HttpService` (`baseURL`, `headers`, ...). */
  axios?: Omit<AxiosRequestConfig, 'adapter'>;
}

export interface ResilientHttpModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: any[]) => ResilientHttpModuleOptions | Promise<ResilientHttpModuleOptions>;
  inject?: FactoryProvider['inject'];
}

/**
 * `@nestjs/axios`' `HttpModule`, resilient: the `HttpService` it provides sends every request through
 * `resilientAxiosAdapter`, so calls need no decorator. With `ResilienceModule` in the application
 * its per-origin breakers are a family of the app's `CircuitBreakerRegistry`, named after the
 * client (`name`, default `http`): in `GET /health/resilience`, metrics, events and the live view
 * like every other breaker (keys shown only with `exposeKeys`), with the module's breaker defaults
 * (`defaults.circuitBreaker`) under the client's own `circuitBreaker` options, on the module's
 * clock. Without it the client keeps its breakers to itself.
 *
 * ```ts
 * @Module({
 *   imports: [ResilienceModule.forRoot(), ResilientHttpModule.register({ name: 'payments', axios: { baseURL: 'https://payments.internal' } })],
 * })
 * export class PaymentsModule {}
 * ```
 */
@Module({})
export class ResilientHttpModule {
  static register(options: ResilientHttpModuleOptions = {}): DynamicModule {
    // Checked now, naming the client and the field: a bad option fails start-up.
    validateOptions(options);
    return ResilientHttpModule.registerAsync({ useFactory: () => options });
  }

  static registerAsync(options: ResilientHttpModuleAsyncOptions): DynamicModule {
    validateAsyncOptions(options);
    return {
      module: ResilientHttpModule,
      imports: [
        HttpModule.registerAsync({
          ...(options.imports === undefined ? {} : { imports: options.imports }),
          inject: [{ token: CircuitBreakerRegistry, optional: true }, { token: RESILIENCE_OPTIONS, optional: true }, ...(options.inject ?? [])],
          useFactory: async (registry: CircuitBreakerRegistry | undefined, moduleOptions: ResilienceModuleOptions | undefined, ...args: unknown[]) =>
            httpModuleOptions(await options.useFactory(...args), registry, moduleOptions),
        }),
      ],
      exports: [HttpModule],
    };
  }
}

const ASYNC_KEYS = ['imports', 'useFactory', 'inject'];

/** The client's options come from the factory: anything else beside it (a `name`) would be silently lost. */
function validateAsyncOptions(options: ResilientHttpModuleAsyncOptions): void {
  if (options === null || typeof options !== 'object' || typeof options.useFactory !== 'function') {
    throw new TypeError('ResilientHttpModule.registerAsync needs { useFactory, inject?, imports? }');
  }
  const stray = Object.keys(options).filter((key) => !ASYNC_KEYS.includes(key));
  if (stray.length > 0) {
    throw new TypeError(`ResilientHttpModule.registerAsync: ${stray.join(', ')} must be returned by useFactory (it takes only useFactory, inject and imports)`);
  }
}

function validateOptions(options: ResilientHttpModuleOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('ResilientHttpModule options must be an object');
  const { axios: _axios, adapter: _adapter, ...client } = options;
  validateHttpResilienceOptions(client, `ResilientHttpModule(${typeof client.name === 'string' ? client.name : 'http'})`);
}

function httpModuleOptions(
  options: ResilientHttpModuleOptions,
  registry: CircuitBreakerRegistry | undefined,
  moduleOptions: ResilienceModuleOptions | undefined,
): HttpModuleOptions {
  validateOptions(options);
  const { axios: config, ...client } = options;
  const name = client.name ?? 'http';
  const clock = client.clock ?? moduleOptions?.clock;
  const adapterOptions: ResilientAxiosAdapterOptions = { ...client, ...(clock === undefined ? {} : { clock }) };
  if (registry !== undefined && client.circuitBreaker !== false) {
    if (registry.isConfigured(name)) {
      throw new Error(
        `ResilientHttpModule: circuitBreakers.${name} of ResilienceModule configures a circuit breaker of its own; ` +
          `the HTTP client "${name}" takes its breaker options from its \`circuitBreaker\` option (or give one of them another name)`,
      );
    }
    if (registry.family(name) !== undefined || registry.get(name) !== undefined) {
      throw new Error(`ResilientHttpModule: a circuit breaker named "${name}" already exists; give each HTTP client its own \`name\``);
    }
    adapterOptions.circuitBreakers = registry.createFamily(name, httpCircuitBreakerOptions(client));
  }
  return { ...config, adapter: resilientAxiosAdapter(adapterOptions) };
}
