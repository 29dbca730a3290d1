import { Inject, Injectable, Optional } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { DECORATOR_NAMES } from '../decorators/resilience-spec.interface.js';
import { optionsEqual } from '../options/options-equal.js';
import { classOf, decoratedMethodsOf, type DecoratedMethod, type DiscoveredClass } from './decorated-methods.js';

/** The policy kinds shared by name, to which decorators may give options inline. */
export type NamedPolicyKind = 'circuitBreaker' | 'retry' | 'timeout' | 'bulkhead';

/** Options a decorator gives a named policy inline, and which decorator gave them. */
export interface PolicyDeclaration {
  /** As written in the decorator (for a timeout: `{ duration }`). */
  readonly options: object;
  /** The first decorator that gave them, e.g. `@Retry(PricingClient.price)`. */
  readonly source: string;
}

/** Policy kinds as error messages name them. */
export const POLICY_LABELS: Readonly<Record<NamedPolicyKind, string>> = {
  circuitBreaker: 'circuit breaker',
  retry: 'retry policy',
  timeout: 'timeout',
  bulkhead: 'bulkhead',
};

/**
 * What the application's decorators say about each named policy, read from the classes of its
 * providers and controllers before any policy is built. The registries build configured policies
 * at start-up, before discovery: this is how a decorator's inline options still reach them
 * (precedence, field by field: module defaults < decorator options < module options for the name).
 *
 * Classes known only from their instance (factory providers) are read at discovery, when `settle`
 * takes the complete list; a policy built earlier without their options then fails start-up if
 * those options would have changed it (see `PolicyRegistry`).
 */
@Injectable()
export class PolicyDeclarations {
  private table: Map<string, PolicyDeclaration> | undefined;

  constructor(
    @Optional() @Inject(DiscoveryService) private readonly discovery?: DiscoveryService,
    @Optional() @Inject(MetadataScanner) private readonly scanner?: MetadataScanner,
  ) {}

  /** The options decorators give `name` inline, if any. */
  find(kind: NamedPolicyKind, name: string): PolicyDeclaration | undefined {
    this.table ??= this.readClasses();
    return this.table.get(tableKey(kind, name));
  }

  /**
   * Takes every decorated method discovery found (factory-provided classes included). Two
   * decorators giving one name different options fail start-up here, naming both.
   */
  settle(methods: readonly DecoratedMethod[]): void {
    const { table, conflict } = declarationsOf(methods);
    if (conflict !== undefined) {
      const label = POLICY_LABELS[conflict.kind];
      throw new Error(
        `${label.charAt(0).toUpperCase()}${label.slice(1)} "${conflict.name}" is configured differently by ${conflict.first} and ${conflict.second}; ` +
          `configure it once, in the module options, and refer to it by name.`,
      );
    }
    this.table = table;
  }

  /** Before discovery: the classes the container already knows (disagreements wait for `settle`). */
  private readClasses(): Map<string, PolicyDeclaration> {
    const { discovery, scanner } = this;
    if (discovery === undefined || scanner === undefined) return new Map();
    const classes = new Set<DiscoveredClass>();
    for (const wrapper of [...discovery.getControllers(), ...discovery.getProviders()]) {
      const cls = classOf(wrapper);
      if (cls !== undefined) classes.add(cls);
    }
    return declarationsOf([...classes].flatMap((cls) => decoratedMethodsOf(cls, scanner))).table;
  }
}

interface Conflict {
  readonly kind: NamedPolicyKind;
  readonly name: string;
  readonly first: string;
  readonly second: string;
}

function declarationsOf(methods: readonly DecoratedMethod[]): { table: Map<string, PolicyDeclaration>; conflict?: Conflict } {
  const table = new Map<string, PolicyDeclaration>();
  let conflict: Conflict | undefined;
  const declare = (kind: NamedPolicyKind, name: string, options: object, source: string): void => {
    const key = tableKey(kind, name);
    const first = table.get(key);
    if (first === undefined) table.set(key, { options, source });
    else if (conflict === undefined && !optionsEqual(first.options, options)) conflict = { kind, name, first: first.source, second: source };
  };
  for (const { cls, key, specs } of methods) {
    const label = `${cls.name}.${String(key)}`;
    for (const kind of ['retry', 'circuitBreaker', 'bulkhead'] as const) {
      const spec = specs[kind];
      if (spec?.options !== undefined) declare(kind, spec.name ?? label, spec.options, `${DECORATOR_NAMES[kind]}(${label})`);
    }
    const timeout = specs.timeout;
    if (timeout?.duration !== undefined) declare('timeout', timeout.name ?? label, { duration: timeout.duration }, `${DECORATOR_NAMES.timeout}(${label})`);
  }
  return conflict === undefined ? { table } : { table, conflict };
}

function tableKey(kind: NamedPolicyKind, name: string): string {
  return `${kind}\u0000${name}`;
}
