/** An app's long-lived objects (its API, the auth session, its name for messages), handed to components through
 * context so tests can render any page with a fake API. Each app names its API's type in a thin `useApi`. */
import { createContext, useContext, useSyncExternalStore, type ReactNode } from "react";
import type { AuthSession, AuthState } from "./auth/session";

export interface Services<Api = unknown> {
  api: Api;
  session: AuthSession;
  /** How learners know the app, in messages: "the Lang Portal". */
  appName: string;
}

const ServicesContext = createContext<Services | null>(null);

export function ServicesProvider<Api>({ services, children }: { services: Services<Api>; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useServices<Api>(): Services<Api> {
  const services = useContext(ServicesContext);
  if (!services) throw new Error("ServicesProvider is missing above this component");
  return services as Services<Api>;
}

export function useAuth(): { state: AuthState; session: AuthSession } {
  const { session } = useServices();
  const state = useSyncExternalStore(session.subscribe, session.getState);
  return { state, session };
}
