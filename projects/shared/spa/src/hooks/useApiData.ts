import { useCallback, useEffect, useState, type DependencyList } from "react";
import { useServices } from "../services";

export type ApiData<T> =
  | { status: "loading" }
  | { status: "error"; error: Error; reload: () => void }
  | { status: "ready"; data: T; reload: () => void };

/**
 * Loads data for a component: cancels the request when the inputs change or the component
 * unmounts (so a slow old answer never overwrites a newer one), and offers reload().
 */
export function useApiData<Api, T>(
  load: (api: Api, signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
): ApiData<T> {
  const { api } = useServices<Api>();
  const [attempt, setAttempt] = useState(0);
  const [result, setResult] = useState<ApiData<T>>({ status: "loading" });
  const reload = useCallback(() => setAttempt((count) => count + 1), []);

  useEffect(() => {
    const controller = new AbortController();
    setResult({ status: "loading" });
    load(api, controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setResult({ status: "ready", data, reload });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) {
          setResult({ status: "error", error: error instanceof Error ? error : new Error(String(error)), reload });
        }
      },
    );
    return () => controller.abort();
    // `load` is a fresh closure each render; its inputs are what the caller lists in deps.
  }, [api, attempt, reload, ...deps]);

  return result;
}
