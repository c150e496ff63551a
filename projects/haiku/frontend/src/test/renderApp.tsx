import type { RouteReply } from "@app-dw/spa-kit/test/fakeApi";
import { renderRoutes } from "@app-dw/spa-kit/test/renderRoutes";
import { createHaikuApi } from "../api/haiku";
import type { Haiku } from "../api/types";
import { AppRoutes } from "../App";

export const ID = "0123456789abcdef0123456789abcdef";
export const LINES = ["An old silent pond", "A frog jumps into the pond", "Splash! Silence again"];

export function haiku(changes: Partial<Haiku> = {}): Haiku {
  return {
    haiku_id: ID,
    status: "new",
    error_message: null,
    english_lines: [],
    japanese_lines: [],
    image_descriptions: [],
    image_urls: [],
    audio_urls: [],
    created_at: "2026-12-01T10:00:00Z",
    updated_at: "2026-12-01T10:00:00Z",
    ...changes,
  };
}

export const AVAILABLE = { features: { chat: true, media: true } };

/** Server-sent events as the API writes them. */
export function events(...items: Array<[string, unknown]>): Response {
  const body = items.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join("");
  return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
}

export function renderApp(path: string, routes: Record<string, RouteReply>) {
  return renderRoutes({ createApi: createHaikuApi, appName: "Haiku Generator", routes: <AppRoutes /> }, path, routes);
}
