/** The Lang Portal's services (the kit's context, typed with its API). */
import type { LangPortalApi } from "./api/langPortal";
import { useServices } from "@app-dw/spa-kit/services";

export { ServicesProvider, useAuth } from "@app-dw/spa-kit/services";

export function useApi(): LangPortalApi {
  return useServices<LangPortalApi>().api;
}
