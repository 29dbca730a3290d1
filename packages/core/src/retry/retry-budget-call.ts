import type { RetryBudget } from './retry-budget.interface.js';

/**
 * Records a call in `budget`. A budget that throws (a store's, a hand-written one) is
 * ignored: it must not fail the call it was only told about.
 */
export function recordBudgetCall(budget: RetryBudget): void {
  try {
    budget.recordCall();
  } catch {
    // Nothing to undo: the call goes on unbudgeted.
  }
}
