import { AdmissionController, ADMISSION_PRIORITIES, type AdmissionPriority, type Disposable, type LoadShedReason } from '@bulwark/core';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';

/** Requests shed, by priority and reason (for metrics). */
export type ShedCounts = Record<AdmissionPriority, Record<LoadShedReason, number>>;

/**
 * The application's admission controller when `loadShedding` is on (`controller` is `undefined`
 * otherwise): created with the engine so health, metrics and the event stream read it, while the
 * guard that uses it is loaded only with the option.
 */
@Injectable()
export class InboundAdmission implements OnModuleDestroy {
  readonly controller: AdmissionController | undefined;
  private readonly counts: ShedCounts | undefined;
  private readonly subscription: Disposable | undefined;

  constructor(@Inject(RESILIENCE_OPTIONS) options: ResilienceModuleOptions) {
    const setting = options.loadShedding;
    if (setting === undefined || setting === false) {
      this.controller = undefined;
      return;
    }
    const controller = new AdmissionController({ ...(setting === true ? {} : setting), name: 'loadShedding', clock: options.clock, validationPath: 'loadShedding' });
    const counts = Object.fromEntries(ADMISSION_PRIORITIES.map((priority) => [priority, { capacity: 0, 'queue-timeout': 0 }])) as ShedCounts;
    this.controller = controller;
    this.counts = counts;
    this.subscription = controller.onShed(({ priority, reason }) => {
      counts[priority][reason]++;
    });
  }

  /** Requests shed so far by priority and reason, `undefined` when load shedding is off. */
  shedCounts(): Readonly<ShedCounts> | undefined {
    return this.counts;
  }

  onModuleDestroy(): void {
    this.subscription?.dispose();
  }
}
