/** The Lang Portal's services (the kit's context, typed with its API). */
import { typedHooks } from "@app-dw/spa-kit/hooks/typed";
import type { LangPortalApi } from "./api/langPortal";

export { ServicesProvider, useAuth } from "@app-dw/spa-kit/services";

export const { useApi } = typedHooks<LangPortalApi>();
