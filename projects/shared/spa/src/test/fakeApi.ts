import { vi } from "vitest";

/** What a route answers: a JSON body (200), or a Response for anything else (or a Promise of either). */
export type RouteReply = unknown | Response | ((request: SentRequest) => unknown | Response);

export interface SentRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

/**
 * A stand-in for an app's API (a fetch) keyed by "METHOD /path" (the query is recorded, not
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
