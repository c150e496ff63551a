import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import type { Page, PageQuery } from "../api/client";
import type { LangPortalApi } from "../api/langPortal";
import { useApiData } from "../hooks/useApiData";
import { useListQuery } from "../hooks/useListQuery";
import { AsyncContent, EmptyState } from "./AsyncContent";
import { DataTable, Pagination, type Column } from "./DataTable";
import { Button } from "./ui/button";

export interface PagedTableProps<T> {
  /** Names the list being shown (e.g. "groups/3/words"): a new key loads afresh. */
  listKey: string;
  load: (api: LangPortalApi, query: PageQuery, signal: AbortSignal) => Promise<Page<T>>;
  columns: Column<T>[];
  rowKey: (row: T) => string | number;
  caption: string;
  empty: ReactNode;
  /** Keeps the URL parameters of two tables on one page apart. */
  paramPrefix?: string;
  /** Offers a search box (the list's API takes `q`). */
  search?: { label: string; placeholder: string; noMatch: (text: string) => ReactNode };
}

const SEARCH_DELAY_MS = 300; // typing pauses this long before the list is asked again

function SearchBox({
  value,
  onSearch,
  label,
  placeholder,
}: {
  value: string;
  onSearch: (text: string) => void;
  label: string;
  placeholder: string;
}) {
  const id = useId();
  const [text, setText] = useState(value);
  const search = useRef(onSearch);
  search.current = onSearch;
  useEffect(() => setText(value), [value]); // the back button changed the search
  useEffect(() => {
    if (text.trim() === value.trim()) return;
    const timer = setTimeout(() => search.current(text), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, value]);
  return (
    <form
      role="search"
      className="mb-3 flex max-w-md flex-col gap-1"
      onSubmit={(event) => {
        event.preventDefault();
        onSearch(text);
      }}
    >
      <label htmlFor={id} className="text-sm font-medium">
        {label}
      </label>
      <input
        id={id}
        type="search"
        value={text}
        placeholder={placeholder}
        onChange={(event) => setText(event.target.value)}
        className="h-10 rounded-md border bg-card px-3"
      />
    </form>
  );
}

/** A table of one paginated API list, with its page, sort and search kept in the URL. While another page,
 * sort or search loads, the rows shown stay (marked busy), so the headers and the focus stay where they are. */
export function PagedTable<T>({
  listKey,
  load,
  columns,
  rowKey,
  caption,
  empty,
  paramPrefix,
  search,
}: PagedTableProps<T>) {
  const sortKeys = columns.flatMap((column) => (column.sortKey ? [column.sortKey] : []));
  const query = useListQuery(paramPrefix, sortKeys);
  const { page, sort_by, order, q } = query;
  const data = useApiData(
    (api, signal) => load(api, { page, sort_by, order, q }, signal),
    [listKey, page, sort_by, order, q],
  );
  const shown = useRef<{ listKey: string; page: Page<T> } | null>(null);
  if (data.status === "ready") shown.current = { listKey, page: data.data };
  const stale = data.status === "loading" && shown.current?.listKey === listKey ? shown.current.page : null;

  const table = (result: Page<T>, busy: boolean) => {
    const { total_items: total, total_pages: pages } = result.pagination;
    if (total === 0) return <EmptyState>{q && search ? search.noMatch(q) : empty}</EmptyState>;
    if (result.items.length === 0) {
      return (
        <EmptyState>
          There is no page {page}: this list has {pages === 1 ? "one page" : `${pages} pages`}.{" "}
          <Button variant="outline" size="sm" className="ml-2" onClick={() => query.setPage(pages)}>
            Go to page {pages}
          </Button>
        </EmptyState>
      );
    }
    return (
      <>
        <DataTable
          caption={caption}
          columns={columns}
          rows={result.items}
          rowKey={rowKey}
          sortBy={sort_by}
          order={order}
          onSort={query.toggleSort}
          busy={busy}
        />
        <Pagination pagination={result.pagination} onPageChange={query.setPage} label={caption} />
      </>
    );
  };

  return (
    <>
      {search && (
        <SearchBox value={q ?? ""} onSearch={query.setSearch} label={search.label} placeholder={search.placeholder} />
      )}
      {/* One place for the table whether its rows are fresh or stale, so it is not remounted (focus kept). */}
      {data.status === "ready" || stale ? (
        table(data.status === "ready" ? data.data : stale!, data.status !== "ready")
      ) : (
        <AsyncContent<Page<T>> data={data} loadingRows={5}>
          {(result) => table(result, false)}
        </AsyncContent>
      )}
    </>
  );
}
