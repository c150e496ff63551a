import { useSearchParams } from "react-router";
import type { PageQuery, SortOrder } from "../api/client";

export interface ListQuery extends PageQuery {
  page: number;
  setPage: (page: number) => void;
  /** Sorts by the column, flipping the order when it already sorts by it. */
  toggleSort: (sortBy: string) => void;
}

/**
 * Page and sort of one table, kept in the URL so a link or the back button restores them.
 * `prefix` keeps two tables on one page apart (words_page, sessions_page).
 */
export function useListQuery(prefix = ""): ListQuery {
  const [params, setParams] = useSearchParams();
  const names = { page: `${prefix}page`, sortBy: `${prefix}sort_by`, order: `${prefix}order` };
  const page = Math.max(1, Number.parseInt(params.get(names.page) ?? "1", 10) || 1);
  const sortBy = params.get(names.sortBy) ?? undefined;
  const orderParam = params.get(names.order);
  const order: SortOrder | undefined = orderParam === "asc" || orderParam === "desc" ? orderParam : undefined;

  const update = (changes: Record<string, string | null>) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      for (const [name, value] of Object.entries(changes)) {
        if (value === null) next.delete(name);
        else next.set(name, value);
      }
      return next;
    });

  return {
    page,
    sort_by: sortBy,
    order: sortBy ? (order ?? "asc") : undefined,
    setPage: (next) => update({ [names.page]: next > 1 ? String(next) : null }),
    toggleSort: (column) =>
      update({
        [names.sortBy]: column,
        [names.order]: column === sortBy && (order ?? "asc") === "asc" ? "desc" : "asc",
        [names.page]: null,
      }),
  };
}
