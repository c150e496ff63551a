import type { ReactNode } from "react";
import type { Page, PageQuery } from "../api/client";
import type { LangPortalApi } from "../api/langPortal";
import { useApiData } from "../hooks/useApiData";
import { useListQuery } from "../hooks/useListQuery";
import { AsyncContent } from "./AsyncContent";
import { DataTable, Pagination, type Column } from "./DataTable";

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
}

/** A table of one paginated API list, with its page and sort kept in the URL. */
export function PagedTable<T>({ listKey, load, columns, rowKey, caption, empty, paramPrefix }: PagedTableProps<T>) {
  const query = useListQuery(paramPrefix);
  const { page, sort_by, order } = query;
  const data = useApiData(
    (api, signal) => load(api, { page, sort_by, order }, signal),
    [listKey, page, sort_by, order],
  );

  return (
    <AsyncContent data={data} isEmpty={(result) => result.pagination.total_items === 0} empty={empty} loadingRows={5}>
      {(result) => (
        <>
          <DataTable
            caption={caption}
            columns={columns}
            rows={result.items}
            rowKey={rowKey}
            sortBy={sort_by}
            order={order}
            onSort={query.toggleSort}
          />
          <Pagination pagination={result.pagination} onPageChange={query.setPage} />
        </>
      )}
    </AsyncContent>
  );
}
