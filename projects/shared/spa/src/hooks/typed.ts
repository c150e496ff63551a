/** An app's hooks typed with its API: `export const { useApi, useApiData } = typedHooks<MyApi>();`. */
import type { DependencyList } from "react";
import { useServices } from "../services";
import { useApiData } from "./useApiData";

export function typedHooks<Api>() {
  return {
    useApi: (): Api => useServices<Api>().api,
    useApiData: <T>(load: (api: Api, signal: AbortSignal) => Promise<T>, deps: DependencyList) =>
      useApiData<Api, T>(load, deps),
  };
}
