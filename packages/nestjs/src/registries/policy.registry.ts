import { EventEmitter, type Event, type ResiliencePolicy } from '@bulwark/core';

/**
 * Named policies of one kind for one application. Policies are created once (at start-up for
 * configured names and decorated methods, or programmatically) and shared by every user of the
 * name. Instances live here, in an injectable, so two applications never share state.
 */
export abstract class PolicyRegistry<P extends ResiliencePolicy, O extends object> {
  private readonly policies = new Map<string, P>();
  /** Overrides a name was created with, to detect two decorators configuring it differently. */
  private readonly overridesByName = new Map<string, { overrides: O | undefined; source: string }>();
  private readonly created = new EventEmitter<P>();

  /** Fires for every policy created from now on (observers subscribe to its events). */
  readonly onCreated: Event<P> = this.created.event;

  /** What the registry calls its policies in messages (`circuit breaker`). */
  protected abstract readonly label: string;

  /** Options configured for `name` (module defaults merged with the named entry), or undefined. */
  protected abstract configured(name: string): O | undefined;

  /** Whether `name` is configured in the module options (strict mode checks this). */
  abstract isConfigured(name: string): boolean;

  /** Builds a policy; `options` are already merged and `path` names them in errors. */
  protected abstract build(name: string, options: O, path: string): P;

  /** The policy registered under `name`, if any. */
  get(name: string): P | undefined {
    return this.policies.get(name);
  }

  has(name: string): boolean {
    return this.policies.has(name);
  }

  /** Every policy, in creation order. */
  list(): P[] {
    return [...this.policies.values()];
  }

  names(): string[] {
    return [...this.policies.keys()];
  }

  /**
   * Creates and registers a policy programmatically. `options` override the module's defaults
   * and any configuration of that name. Throws if the name is taken.
   */
  create(name: string, options?: O): P {
    if (this.policies.has(name)) throw new Error(`A ${this.label} named "${name}" already exists`);
    return this.register(name, options, `${this.label} "${name}"`);
  }

  /**
   * The policy named `name`, created on first use from defaults, configuration and `overrides`.
   * Two users giving different overrides for one shared name is a configuration error.
   */
  getOrCreate(name: string, overrides?: O, source = `${this.label} "${name}"`): P {
    const existing = this.policies.get(name);
    if (existing === undefined) return this.register(name, overrides, source);
    const first = this.overridesByName.get(name);
    if (overrides !== undefined && first !== undefined && !sameOptions(first.overrides, overrides)) {
      throw new Error(
        `${capitalize(this.label)} "${name}" is configured differently by ${first.source} and ${source}; ` +
          `configure it once, in the module options, and refer to it by name.`,
      );
    }
    if (first !== undefined && first.overrides === undefined && overrides !== undefined) {
      throw new Error(
        `${source} gives options for ${this.label} "${name}", which is already in use with its configured options; ` +
          `configure it in the module options instead.`,
      );
    }
    return existing;
  }

  private register(name: string, overrides: O | undefined, source: string): P {
    const options = { ...this.configured(name), ...overrides } as O;
    const policy = this.build(name, options, source);
    this.policies.set(name, policy);
    this.overridesByName.set(name, { overrides, source });
    this.created.emit(policy);
    return policy;
  }
}

function sameOptions(a: object | undefined, b: object | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => {
    const va = (a as Record<string, unknown>)[key];
    const vb = (b as Record<string, unknown>)[key];
    return va === vb || (typeof va === 'object' && typeof vb === 'object' && JSON.stringify(va) === JSON.stringify(vb));
  });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
