/** The Haiku Generator's hooks, typed with its API. */
import { typedHooks } from "@app-dw/spa-kit/hooks/typed";
import type { HaikuApi } from "./api/haiku";

export const { useApi, useApiData } = typedHooks<HaikuApi>();
