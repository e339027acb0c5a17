// One byte budget for every list-returning read (issue 12, "Bounded work"): a page is capped by the size
// of its serialized items, not only by their count, so 1,000 events of 60 KB each no longer make one
// 60 MB answer that holds the event loop for seconds while it is serialized.

/** Serialized JSON bytes (UTF-8) the items of one page may take together: 1 MiB. */
export const MAX_PAGE_BYTES = 1024 * 1024;

/** The items that fit, in order, and whether any were left out because of the budget. */
export interface BudgetedPage<T> {
  items: T[];
  /** True when items were dropped to stay within the budget (the caller's paging says "more"). */
  cut: boolean;
}

/** Bytes of `item` serialized as JSON (UTF-8), plus one for the comma that separates it in a list. */
export function bytesOf(item: unknown): number {
  return Buffer.byteLength(JSON.stringify(item) ?? '') + 1;
}

/**
 * The longest prefix of `items` whose serialized sizes (Buffer.byteLength(JSON.stringify(item)), UTF-8
 * bytes) add up to at most `budget` bytes; always at least one item when `items` is not empty, so a
 * client that follows the page's cursor always makes progress, even past a single item over the budget.
 */
export function withinBudget<T>(items: readonly T[], budget: number = MAX_PAGE_BYTES): BudgetedPage<T> {
  let used = 0;
  for (const [index, item] of items.entries()) {
    used += bytesOf(item);
    if (used > budget && index > 0) return { items: items.slice(0, index), cut: true };
  }
  return { items: [...items], cut: false };
}
