import { EventEmitter, type Event, type ResiliencePolicy } from '@bulwark/core';
import { POLICY_LABELS, type NamedPolicyKind, type PolicyDeclaration, type PolicyDeclarations } from '../discovery/policy-declarations.js';
import { optionsEqual } from '../options/options-equal.js';

/** How a policy came to be: the inline options it was built with, and who gave them. */
export interface PolicyShape<O> {
  readonly inline: O | undefined;
  readonly source: string;
}

/**
 * Named policies of one kind for one application. Policies are created once (at start-up for
 * configured names and decorated methods, or programmatically) and shared by every user of the
 * name. Instances live here, in an injectable, so two applications never share state.
 *
 * Options are merged field by field: the module's defaults, then the options given inline (by a
 * decorator, or to `create`), then the module options for that name, which win: operators and
 * tests tune a policy without editing code.
 */
export abstract class PolicyRegistry<P extends ResiliencePolicy, O extends object> {
  private readonly policies = new Map<string, P>();
  private readonly shapes = new Map<string, PolicyShape<O>>();
  private readonly created = new EventEmitter<P>();

  /** Fires for every policy created from now on (observers subscribe to its events). */
  readonly onCreated: Event<P> = this.created.event;

  /** Which kind of policy this registry holds (its section of the module options and its label). */
  protected abstract readonly kind: NamedPolicyKind;

  constructor(private readonly declarations?: PolicyDeclarations) {}

  /** What the registry calls its policies in messages (`circuit breaker`). */
  protected get label(): string {
    return POLICY_LABELS[this.kind];
  }

  /** The options every policy of the kind starts from (the module's defaults). */
  protected abstract base(name: string): O;

  /** The module options for `name`, if any: they win over inline options. */
  protected abstract named(name: string): O | undefined;

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
   * Creates and registers a policy programmatically. `options` override the module's defaults;
   * the module options for that name, if any, override them. Throws if the name is taken.
   */
  create(name: string, options?: O): P {
    if (this.policies.has(name)) throw new Error(`A ${this.label} named "${name}" already exists`);
    return this.register(name, options, `${this.label} "${name}"`, `${this.constructor.name}.create('${name}')`);
  }

  /**
   * The policy named `name`, created on first use from defaults, `inline` options (else those a
   * decorator of the application gives the name) and configuration. Inline options that
   * disagree with those the policy was built with are a configuration error.
   */
  getOrCreate(name: string, inline?: O, source = `${this.label} "${name}"`): P {
    const existing = this.policies.get(name);
    if (existing === undefined) {
      const declared = inline === undefined ? this.declared(name) : undefined;
      if (declared !== undefined) return this.register(name, declared.options as O, declared.source, declared.source);
      return this.register(name, inline, source, source);
    }
    if (inline !== undefined) this.checkInline(name, this.shapes.get(name)!, inline, source);
    return existing;
  }

  /** Builds the policies configured in the module options, with the decorators' inline options. */
  protected createConfigured(names: Iterable<string>, section: string): void {
    for (const name of names) {
      const declared = this.declared(name);
      if (declared === undefined) this.register(name, undefined, `${section}.${name}`, `${section}.${name}`);
      else this.register(name, declared.options as O, declared.source, declared.source);
    }
  }

  /** The options a decorator of the application gives `name` inline, if any. */
  protected declared(name: string): PolicyDeclaration | undefined {
    return this.declarations?.find(this.kind, name);
  }

  /** Defaults, then inline options, then the module options for `name`. */
  protected merge(name: string, inline: O | undefined): O {
    return { ...this.base(name), ...inline, ...this.named(name) };
  }

  /**
   * A user of `name` arriving with `inline` options after the policy was built. Agreeing with
   * the options it was built with is fine; so is giving only what the module options for the
   * name override anyway. Anything else would be silently dropped: start-up fails instead.
   */
  protected checkInline(name: string, shape: PolicyShape<O>, inline: O, source: string): void {
    if (shape.inline !== undefined) {
      if (optionsEqual(shape.inline, inline)) return;
      throw new Error(
        `${capitalize(this.label)} "${name}" is configured differently by ${shape.source} and ${source}; ` +
          `configure it once, in the module options, and refer to it by name.`,
      );
    }
    if (optionsEqual(this.merge(name, inline), this.merge(name, undefined))) return;
    throw new Error(
      `${source} gives options for ${this.label} "${name}", which ${shape.source} already built without them; ` +
        `give them in the module options for "${name}" instead.`,
    );
  }

  private register(name: string, inline: O | undefined, path: string, source: string): P {
    const policy = this.build(name, this.merge(name, inline), path);
    this.policies.set(name, policy);
    this.shapes.set(name, { inline, source });
    this.created.emit(policy);
    return policy;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
