/** The kit's data loader, typed with the Lang Portal's API. */
import { typedHooks } from "@app-dw/spa-kit/hooks/typed";
import type { LangPortalApi } from "../api/langPortal";

export type { ApiData } from "@app-dw/spa-kit/hooks/useApiData";
export const { useApiData } = typedHooks<LangPortalApi>();
