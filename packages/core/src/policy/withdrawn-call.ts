/**
 * The reason of a call its own operation withdrew before doing any work: every policy lets it
 * through untouched and counts nothing, as if the call had never been made (a breaker's trial
 * permit is handed back). Frameworks use it when a method's first invocation shows that the call
 * has to be made another way (the Nest adapter, when a method with no declared return type turns
 * out to return an Observable: it is then run per subscription instead).
 */
export const WITHDRAWN_CALL: unique symbol = Symbol('bulwark.withdrawn-call');

/** Ends the current attempt as withdrawn (see `WITHDRAWN_CALL`); the call rejects with the marker. */
export function withdrawCall(): Promise<never> {
  return Promise.reject(WITHDRAWN_CALL);
}
