import { InvalidOptionsError, MAX_TIMER_DELAY_MS } from '@bulwark/core';
import { SetMetadata } from '@nestjs/common';

export const DEADLINE_METADATA = 'bulwark:deadline';

/**
 * The time budget of every request this handler (or every handler of this controller) serves, in
 * ms: the calls it makes share what is left of it (their timeouts end no later), the outbound
 * requests of `@bulwark/http` send it on, and when it runs out the request is answered 504. A
 * budget the caller sent (`x-request-deadline-ms`) that is smaller wins.
 */
export function Deadline(ms: number): ClassDecorator & MethodDecorator {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || ms > MAX_TIMER_DELAY_MS) {
    throw new InvalidOptionsError('@Deadline', `must be a number of ms above 0 and at most ${MAX_TIMER_DELAY_MS}`, ms);
  }
  return SetMetadata(DEADLINE_METADATA, ms);
}
