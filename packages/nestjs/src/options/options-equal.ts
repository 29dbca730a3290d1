/**
 * Whether two option values say the same thing: plain objects and arrays by value, everything else
 * (functions, classes, class instances such as a `Registry` or a `RetryBudget`) by identity, `NaN`
 * equal to `NaN`, and a key holding `undefined` the same as an absent one (both mean "not set").
 * The one comparison used wherever options given in two places must agree: `JSON.stringify` would
 * make `[HttpError]` and `[DbError]` equal (both `[null]`).
 */
export function optionsEqual(a: unknown, b: unknown): boolean {
  return equal(a, b, []);
}

function equal(a: unknown, b: unknown, open: unknown[]): boolean {
  if (a === b || (a !== a && b !== b)) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  // A cycle compares by identity (already not identical): options are trees in practice.
  if (open.includes(a)) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    open.push(a);
    const same = a.every((item, i) => equal(item, b[i], open));
    open.pop();
    return same;
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keysA = definedKeys(a);
  const keysB = definedKeys(b);
  if (keysA.length !== keysB.length) return false;
  open.push(a);
  const same = keysA.every((key) => Object.hasOwn(b, key) && equal(a[key], b[key], open));
  open.pop();
  return same;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function definedKeys(record: Record<string, unknown>): string[] {
  return Object.keys(record).filter((key) => record[key] !== undefined);
}
