import { InvalidOptionsError } from '@bulwark/core';
import type { DiscoveryService, ModulesContainer } from '@nestjs/core';
import { optionsEqual } from './options-equal.js';
import type { ResilienceFeatureOptions, ResilienceModuleOptions } from './resilience-options.interface.js';
import { validateNamedPolicies } from './validate-resilience-options.js';

const SECTIONS = ['circuitBreakers', 'retries', 'timeouts', 'bulkheads'] as const;

type Section = (typeof SECTIONS)[number];

/** The named policies one `ResilienceModule.forFeature()` declares (the value of its one provider). */
export class ResilienceFeaturePolicies {
  constructor(readonly policies: ResilienceFeatureOptions) {}
}

/** One declaration of named policies, and how messages name it. */
export interface PolicySource {
  readonly policies: Partial<Record<Section, Record<string, unknown>>>;
  readonly label: string;
}

/**
 * The `forFeature` declarations of the application, read from its container when its options are
 * resolved (after every module was scanned, before any policy is built), each named after the
 * modules importing it.
 */
export function featurePolicies(discovery: DiscoveryService, modules: ModulesContainer): PolicySource[] {
  const sources: PolicySource[] = [];
  for (const wrapper of discovery.getProviders()) {
    const declared: unknown = wrapper.instance;
    if (!(declared instanceof ResilienceFeaturePolicies)) continue;
    const host = wrapper.host;
    const importers = [...modules.values()].filter((module) => host !== undefined && module.imports.has(host)).map((module) => module.metatype.name);
    const label = importers.length === 0 ? 'ResilienceModule.forFeature' : `ResilienceModule.forFeature in ${importers.join(', ')}`;
    sources.push({ policies: declared.policies as PolicySource['policies'], label });
  }
  return sources;
}

/**
 * The module options with the named policies of `features` added: `forFeature` declares policies
 * next to the code that uses them, and they are the application's, as if given to `forRoot` (strict
 * mode included). One name given different options in two places fails start-up naming both;
 * the same options twice are one policy.
 */
export function withFeaturePolicies(options: ResilienceModuleOptions, root: string, features: readonly PolicySource[]): ResilienceModuleOptions {
  if (features.length === 0) return options;
  const merged: Record<string, unknown> = { ...options };
  const origins = new Map<string, string>();
  for (const section of SECTIONS) {
    const given = options[section] as Record<string, unknown> | undefined;
    for (const name of Object.keys(given ?? {})) origins.set(`${section}.${name}`, root);
  }
  for (const { policies, label } of features) {
    validateFeaturePolicies(policies);
    for (const section of SECTIONS) {
      const declared = policies[section];
      if (declared === undefined) continue;
      const target = { ...(merged[section] as Record<string, unknown> | undefined) };
      for (const [name, value] of Object.entries(declared)) {
        const path = `${section}.${name}`;
        const origin = origins.get(path);
        if (origin !== undefined && !optionsEqual(target[name], value)) {
          throw new Error(`${path} is configured differently by ${origin} and ${label}; configure it once and refer to it by name.`);
        }
        origins.set(path, origin ?? label);
        target[name] = value;
      }
      merged[section] = target;
    }
  }
  return Object.freeze(merged) as ResilienceModuleOptions;
}

function validateFeaturePolicies(policies: unknown): void {
  if (policies === null || typeof policies !== 'object' || Array.isArray(policies)) {
    throw new InvalidOptionsError('ResilienceModule.forFeature options', 'must be an object', policies);
  }
  const record = policies as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(SECTIONS as readonly string[]).includes(key)) {
      throw new InvalidOptionsError(key, `is not a ResilienceModule.forFeature option (known: ${SECTIONS.join(', ')})`, record[key]);
    }
  }
  validateNamedPolicies(record);
}
