import { useSearchParams } from "react-router";
import type { PageQuery, SortOrder } from "../api/client";

export interface ListQuery extends PageQuery {
  page: number;
  setPage: (page: number) => void;
  /** Sorts by the column, flipping the order when it already sorts by it. */
  toggleSort: (sortBy: string) => void;
  /** Searches (from page 1); "" shows everything. */
  setSearch: (text: string) => void;
}

/**
 * Page, sort and search of one table, kept in the URL so a link or the back button restores them.
 * `prefix` keeps two tables on one page apart (words_page, sessions_page); a `sort_by` the table does not
 * offer (a hand-edited link) is ignored rather than sent to the API.
 */
export function useListQuery(prefix = "", sortKeys: readonly string[] = []): ListQuery {
  const [params, setParams] = useSearchParams();
  const names = { page: `${prefix}page`, sortBy: `${prefix}sort_by`, order: `${prefix}order`, q: `${prefix}q` };
  const page = Math.max(1, Number.parseInt(params.get(names.page) ?? "1", 10) || 1);
  const sortParam = params.get(names.sortBy);
  const sortBy = sortParam !== null && sortKeys.includes(sortParam) ? sortParam : undefined;
  const orderParam = params.get(names.order);
  const order: SortOrder | undefined = orderParam === "asc" || orderParam === "desc" ? orderParam : undefined;
  const q = params.get(names.q)?.trim() || undefined;

  const update = (changes: Record<string, string | null>) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [name, value] of Object.entries(changes)) {
          if (value === null) next.delete(name);
          else next.set(name, value);
        }
        return next;
      },
      { preventScrollReset: true },
    );

  return {
    page,
    sort_by: sortBy,
    order: sortBy ? (order ?? "asc") : undefined,
    q,
    setPage: (next) => update({ [names.page]: next > 1 ? String(next) : null }),
    toggleSort: (column) =>
      update({
        [names.sortBy]: column,
        [names.order]: column === sortBy && (order ?? "asc") === "asc" ? "desc" : "asc",
        [names.page]: null,
      }),
    setSearch: (text) => update({ [names.q]: text.trim() ? text : null, [names.page]: null }),
  };
}
