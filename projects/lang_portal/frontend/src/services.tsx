/** The app's long-lived objects (API, auth session), handed to components through context
 * so tests can render any page with a fake API. */
import { createContext, useContext, useSyncExternalStore, type ReactNode } from "react";
import type { LangPortalApi } from "./api/langPortal";
import type { AuthSession, AuthState } from "@app-dw/spa-kit/auth/session";

export interface Services {
  api: LangPortalApi;
  session: AuthSession;
}

const ServicesContext = createContext<Services | null>(null);

export function ServicesProvider({ services, children }: { services: Services; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error("ServicesProvider is missing above this component");
  return services;
}

export function useApi(): LangPortalApi {
  return useServices().api;
}

export function useAuth(): { state: AuthState; session: AuthSession } {
  const { session } = useServices();
  const state = useSyncExternalStore(session.subscribe, session.getState);
  return { state, session };
}
