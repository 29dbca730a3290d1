import { ADMISSION_PRIORITIES, type AdmissionPriority } from '@bulwark/core';
import { SetMetadata } from '@nestjs/common';
import { PRIORITY_METADATA } from '../resilience.constants.js';

/**
 * How urgent a route's requests are when load shedding (`loadShedding` option) is on: `critical`
 * ones are always admitted, `sheddable` ones are shed first (never queued, and only admitted while
 * the limit is less than `sheddableShare` full), `default` ones (the default) may wait briefly in
 * the queue. On a handler or a controller; the handler's wins. Without load shedding it does nothing.
 */
export function Priority(priority: AdmissionPriority): MethodDecorator & ClassDecorator {
  if (!ADMISSION_PRIORITIES.includes(priority)) {
    throw new TypeError(`@Priority: expected one of ${ADMISSION_PRIORITIES.map((known) => `'${known}'`).join(', ')} (got ${String(priority)})`);
  }
  return SetMetadata(PRIORITY_METADATA, priority);
}
