import { render } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { ApiClient } from "@app-dw/spa-kit/api/client";
import { createLangPortalApi } from "../api/langPortal";
import { AppRoutes } from "../App";
import { AuthSession } from "@app-dw/spa-kit/auth/session";
import { ServicesProvider } from "../services";
import { fakeApi, type RouteReply } from "@app-dw/spa-kit/test/fakeApi";
import { ThemeProvider } from "@app-dw/spa-kit/theme";

export { fakeApi, type RouteReply };

export function pageOf<T>(items: T[], { page = 1, totalPages = 1, totalItems = items.length } = {}) {
  return {
    items,
    pagination: { current_page: page, total_pages: totalPages, total_items: totalItems, items_per_page: 100 },
  };
}

/** Renders the app's routes at `path` in local mode against the fake API's routes. */
export async function renderApp(path: string, routes: Record<string, RouteReply>) {
  const { fetchMock, requests } = fakeApi(routes);
  const session = new AuthSession(null);
  await session.start();
  const api = createLangPortalApi(new ApiClient("/api", session.getAccessToken, fetchMock));
  const user = userEvent.setup();
  const view = render(
    <ServicesProvider services={{ api, session, appName: "Lang Portal" }}>
      <ThemeProvider>
        <MemoryRouter initialEntries={[path]}>
          <AppRoutes />
        </MemoryRouter>
      </ThemeProvider>
    </ServicesProvider>,
  );
  return { ...view, user, requests };
}
