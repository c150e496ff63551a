import { fakeApi, type RouteReply } from "@app-dw/spa-kit/test/fakeApi";
import { renderRoutes } from "@app-dw/spa-kit/test/renderRoutes";
import { createLangPortalApi } from "../api/langPortal";
import { AppRoutes } from "../App";

export { fakeApi, type RouteReply };

export function pageOf<T>(items: T[], { page = 1, totalPages = 1, totalItems = items.length } = {}) {
  return {
    items,
    pagination: { current_page: page, total_pages: totalPages, total_items: totalItems, items_per_page: 100 },
  };
}

/** Renders the app's routes at `path` in local mode against the fake API's routes. */
export async function renderApp(path: string, routes: Record<string, RouteReply>) {
  return renderRoutes({ createApi: createLangPortalApi, appName: "Lang Portal", routes: <AppRoutes /> }, path, routes);
}
