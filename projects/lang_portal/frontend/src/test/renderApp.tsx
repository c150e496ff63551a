import { render } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { vi } from "vitest";
import { ApiClient } from "../api/client";
import { createLangPortalApi } from "../api/langPortal";
import { AppRoutes } from "../App";
import { AuthSession } from "../auth/session";
import { ServicesProvider } from "../services";
import { ThemeProvider } from "../theme";

/** What a route answers: a JSON body (200), or a Response for anything else (or a Promise of either). */
export type RouteReply = unknown | Response | ((request: SentRequest) => unknown | Response);

export interface SentRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

/**
 * A stand-in for the Lang Portal API keyed by "METHOD /path" (the query is recorded, not
 * matched). An unknown route answers 404, like the real API.
 */
export function fakeApi(routes: Record<string, RouteReply>) {
  const requests: SentRequest[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), "http://localhost");
    const request: SentRequest = {
      method: init?.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
    };
    requests.push(request);
    const route = routes[`${request.method} ${request.path}`];
    if (route === undefined) return Response.json({ detail: "Not Found" }, { status: 404 });
    const reply = await (typeof route === "function" ? route(request) : route); // a Promise: a slow answer
    return reply instanceof Response ? reply : Response.json(reply);
  });
  return { fetchMock, requests };
}

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
    <ServicesProvider services={{ api, session }}>
      <ThemeProvider>
        <MemoryRouter initialEntries={[path]}>
          <AppRoutes />
        </MemoryRouter>
      </ThemeProvider>
    </ServicesProvider>,
  );
  return { ...view, user, requests };
}
