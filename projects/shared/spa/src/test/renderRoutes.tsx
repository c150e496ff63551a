import { render } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { ApiClient } from "../api/client";
import { AuthSession } from "../auth/session";
import { ServicesProvider } from "../services";
import { ThemeProvider } from "../theme";
import { fakeApi, type RouteReply } from "./fakeApi";

export interface RenderedApp {
  createApi: (client: ApiClient) => unknown;
  appName: string;
  routes: ReactNode;
}

/** Renders an app's routes at `path` in local mode against the fake API's `replies`. */
export async function renderRoutes(app: RenderedApp, path: string, replies: Record<string, RouteReply>) {
  const { fetchMock, requests } = fakeApi(replies);
  const session = new AuthSession(null);
  await session.start();
  const api = app.createApi(new ApiClient("/api", session.getAccessToken, fetchMock));
  const user = userEvent.setup();
  const view = render(
    <ServicesProvider services={{ api, session, appName: app.appName }}>
      <ThemeProvider>
        <MemoryRouter initialEntries={[path]}>{app.routes}</MemoryRouter>
      </ThemeProvider>
    </ServicesProvider>,
  );
  return { ...view, user, requests, fetchMock };
}
