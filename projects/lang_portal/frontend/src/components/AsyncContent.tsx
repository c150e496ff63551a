import type { ReactNode } from "react";
import type { ApiData } from "../hooks/useApiData";
import { isNotFound, learnerMessage, worthRetrying } from "../lib/errors";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";
import { Skeleton } from "./ui/skeleton";

export function LoadingState({ label = "Loading…", rows = 3 }: { label?: string; rows?: number }) {
  return (
    <div role="status" aria-live="polite" className="flex flex-col gap-2">
      <span className="sr-only">{label}</span>
      {Array.from({ length: rows }, (_, index) => (
        <Skeleton key={index} className="h-6 w-full" />
      ))}
    </div>
  );
}

export function ErrorState({ error, onRetry, notFound }: { error: Error; onRetry?: () => void; notFound?: ReactNode }) {
  if (notFound && isNotFound(error)) {
    return (
      <Alert tone="info" title="Not found">
        <div className="mt-1">{notFound}</div>
      </Alert>
    );
  }
  return (
    <Alert tone="error" title="Something went wrong">
      <p className="mt-1">{learnerMessage(error)}</p>
      {onRetry && worthRetrying(error) && (
        <Button variant="outline" size="sm" className="mt-3" onClick={onRetry}>
          Try again
        </Button>
      )}
    </Alert>
  );
}

export function EmptyState({ children }: { children: ReactNode }) {
  return <p className="rounded-md border border-dashed p-6 text-center text-sm text-muted-foreground">{children}</p>;
}

interface AsyncContentProps<T> {
  data: ApiData<T>;
  children: (data: T) => ReactNode;
  /** When it says the data has nothing to show, `empty` is rendered instead of children. */
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  /** Said instead of an error when the API answers 404 (a deleted or mistyped item). */
  notFound?: ReactNode;
  loadingRows?: number;
}

/** The loading, error (with retry), empty and loaded states every page shows the same way. */
export function AsyncContent<T>({ data, children, isEmpty, empty, notFound, loadingRows }: AsyncContentProps<T>) {
  if (data.status === "loading") return <LoadingState rows={loadingRows} />;
  if (data.status === "error") return <ErrorState error={data.error} onRetry={data.reload} notFound={notFound} />;
  if (isEmpty?.(data.data)) return <EmptyState>{empty}</EmptyState>;
  return <>{children(data.data)}</>;
}
