import { useEffect, useId, useRef, useState, type ReactNode } from "react";
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
  /** The rows shown are being replaced (a new sort, page or search is loading). */
  busy?: boolean;
}

function SortIndicator({ active, order }: { active: boolean; order?: SortOrder }) {
  const symbol = !active ? "↕" : order === "desc" ? "↓" : "↑";
  return (
    <span aria-hidden="true" className={cn("text-xs", !active && "opacity-40")}>
      {symbol}
    </span>
  );
}

/** Whether the element's content is wider than the element (it scrolls sideways). */
function useOverflowsSideways(ref: React.RefObject<HTMLElement | null>): boolean {
  const [overflows, setOverflows] = useState(false);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const measure = () => setOverflows(element.scrollWidth > element.clientWidth + 1);
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    if (element.firstElementChild) observer.observe(element.firstElementChild);
    measure();
    return () => observer.disconnect();
  }, [ref]);
  return overflows;
}

export function DataTable<T>({ caption, columns, rows, rowKey, sortBy, order, onSort, busy }: DataTableProps<T>) {
  const frame = useRef<HTMLDivElement>(null);
  const overflows = useOverflowsSideways(frame);
  const hintId = useId();
  return (
    <div>
      {overflows && (
        <p id={hintId} className="mb-1 text-xs text-muted-foreground">
          <span aria-hidden="true">↔ </span>Scroll sideways to see every column.
        </p>
      )}
      <div
        ref={frame}
        // A frame that scrolls must be reachable by keyboard too (arrow keys scroll it once focused).
        {...(overflows ? { tabIndex: 0, role: "region", "aria-label": caption, "aria-describedby": hintId } : {})}
        className="overflow-x-auto rounded-lg border bg-card"
      >
        <table aria-busy={busy || undefined} className="w-full border-collapse text-left text-sm">
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
                    // Compact below sm, so a word table's Correct and Wrong columns fit a phone.
                    className={cn("px-1.5 py-2 text-xs font-medium sm:px-3 sm:text-sm", column.className)}
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
          <tbody className={cn("transition-opacity", busy && "opacity-60")}>
            {rows.map((row) => (
              <tr key={rowKey(row)} className="border-t hover:bg-muted/40">
                {columns.map((column) => (
                  <td key={column.header} className={cn("px-1.5 py-2 align-middle sm:px-3", column.className)}>
                    {column.cell(row)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function Pagination({
  pagination,
  onPageChange,
  label,
}: {
  pagination: PageInfo;
  onPageChange: (page: number) => void;
  /** What is paged ("Words in this group"): names the navigation, unique on its page. */
  label: string;
}) {
  const { current_page: page, total_pages: pages, total_items: total } = pagination;
  return (
    <nav aria-label={`Pages of ${label}`} className="mt-3 flex flex-wrap items-center justify-between gap-2 text-sm">
      <p className="text-muted-foreground" aria-live="polite">
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
