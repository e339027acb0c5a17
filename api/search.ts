// A search names lists and labels as quick add does: `#Work` is the list, `@errands` the label (the
// caller's names, those of lists shared with them included; api/quick-add/parse.ts `tags`), and the rest
// are the words searched for. A user's pass found "@errands" and "#Work" matched nothing.
import type { ReadsPort } from './ports.ts';
import { tags } from './quick-add/parse.ts';

/** What GET /tasks searches for: the words left, and the list and label the text named. */
export interface SearchFilters {
  /** The words, without the tags read as a list or label; absent when nothing is left. */
  q?: string;
  list_id?: string;
  label?: string;
}

/**
 * Reads `text` (a search of `userId`'s) into filters: the first `#List` naming one of their lists, the
 * first `@label` naming one of their labels, and the rest of the text. A tag naming nothing of theirs stays
 * a word. Reads the lists and labels only when the text has a tag.
 */
export async function searchFilters(
  reads: Pick<ReadsPort, 'lists' | 'labels'>,
  userId: string,
  text: string,
): Promise<SearchFilters> {
  if (!/(?<!\S)[#@]\S/.test(text)) return { q: text };
  const [lists, labels] = await Promise.all([reads.lists(userId), reads.labels(userId)]);
  const out: SearchFilters = {};
  const cut: { start: number; end: number }[] = [];
  const list = tags(text, '#', lists).find((t) => t.item !== null);
  if (list?.item) {
    out.list_id = list.item.id;
    cut.push(list.span);
  }
  const label = tags(text, '@', labels).find((t) => t.item !== null);
  if (label?.item) {
    out.label = label.item.id;
    cut.push(label.span);
  }
  let rest = text;
  for (const span of cut.sort((a, b) => b.start - a.start)) rest = rest.slice(0, span.start) + rest.slice(span.end);
  rest = rest.replace(/\s+/g, ' ').trim();
  if (rest) out.q = rest;
  return out;
}
