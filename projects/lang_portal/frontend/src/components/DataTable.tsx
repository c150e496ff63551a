import type { ReactNode } from "react";
import type { Pagination as PageInfo, SortOrder } from "../api/client";
import { cn } from "../lib/cn";
import { Button } from "./ui/button";

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  /** The API's sort_by value for this column; sortable only when set. */
  sortKey?: string;
  className?: string;
}

interface DataTableProps<T> {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string | number;
  sortBy?: string;
  order?: SortOrder;
  onSort?: (sortKey: string) => void;
}

function SortIndicator({ active, order }: { active: boolean; order?: SortOrder }) {
  const symbol = !active ? "↕" : order === "desc" ? "↓" : "↑";
  return (
    <span aria-hidden="true" className={cn("text-xs", !active && "opacity-40")}>
      {symbol}
    </span>
  );
}

export function DataTable<T>({ caption, columns, rows, rowKey, sortBy, order, onSort }: DataTableProps<T>) {
  return (
    <div className="overflow-x-auto rounded-lg border bg-card">
      <table className="w-full border-collapse text-left text-sm">
        <caption className="sr-only">{caption}</caption>
        <thead className="bg-muted/60 text-muted-foreground">
          <tr>
            {columns.map((column) => {
              const active = column.sortKey !== undefined && column.sortKey === sortBy;
              return (
                <th
                  key={column.header}
                  scope="col"
                  aria-sort={active ? (order === "desc" ? "descending" : "ascending") : undefined}
                  className={cn("px-2 py-2 font-medium sm:px-3", column.className)}
                >
                  {column.sortKey && onSort ? (
                    <button
                      type="button"
                      onClick={() => onSort(column.sortKey!)}
                      className="inline-flex items-center gap-1 rounded hover:text-foreground"
                    >
                      {column.header}
                      <SortIndicator active={active} order={order} />
                    </button>
                  ) : (
                    column.header
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} className="border-t hover:bg-muted/40">
              {columns.map((column) => (
                <td key={column.header} className={cn("px-2 py-2 align-middle sm:px-3", column.className)}>
                  {column.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Pagination({
  pagination,
  onPageChange,
}: {
  pagination: PageInfo;
  onPageChange: (page: number) => void;
}) {
  const { current_page: page, total_pages: pages, total_items: total } = pagination;
  return (
    <nav aria-label="Pagination" className="mt-3 flex flex-wrap items-center justify-between gap-2 text-sm">
      <p className="text-muted-foreground">
        Page {page} of {Math.max(pages, 1)} · {total.toLocaleString()} {total === 1 ? "item" : "items"}
      </p>
      <div className="flex gap-2">
        <Button variant="outline" size="sm" disabled={page <= 1} onClick={() => onPageChange(page - 1)}>
          Previous
        </Button>
        <Button variant="outline" size="sm" disabled={page >= pages} onClick={() => onPageChange(page + 1)}>
          Next
        </Button>
      </div>
    </nav>
  );
}
