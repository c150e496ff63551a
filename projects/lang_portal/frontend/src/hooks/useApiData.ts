/** The kit's data loader, typed with the Lang Portal's API. */
import type { DependencyList } from "react";
import type { LangPortalApi } from "../api/langPortal";
import { type ApiData, useApiData as useKitApiData } from "@app-dw/spa-kit/hooks/useApiData";

export type { ApiData };

export function useApiData<T>(load: (api: LangPortalApi, signal: AbortSignal) => Promise<T>, deps: DependencyList) {
  return useKitApiData<LangPortalApi, T>(load, deps);
}
