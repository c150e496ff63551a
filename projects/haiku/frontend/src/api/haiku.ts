/** Every Haiku API call the pages make, typed. */
import { ApiError, type ApiClient } from "@app-dw/spa-kit/api/client";
import { serverEvents } from "@app-dw/spa-kit/lib/sse";
import type { Capabilities, ChatMessage, ChatTurn, Haiku, HaikuList } from "./types";

export interface StreamHandlers {
  /** Each piece of the answer as the model writes it. */
  onText: (text: string) => void;
  signal?: AbortSignal;
}

/** A stream that ended without its last event: the connection broke, so it is told like one (status 0), in
 * these words rather than as an outage. */
export const CUT_OFF = "The answer stopped before it was complete. Try again.";

export function createHaikuApi(client: ApiClient) {
  return {
    capabilities: (signal?: AbortSignal) => client.get<Capabilities>("/capabilities", { signal }),
    list: (signal?: AbortSignal) => client.get<HaikuList>("/haiku", { signal }),
    get: (id: string, signal?: AbortSignal) => client.get<Haiku>(`/haiku/${encodeURIComponent(id)}`, { signal }),
    start: () => client.post<Haiku>("/haiku"),
    accept: (id: string) => client.post<Haiku>(`/haiku/${encodeURIComponent(id)}/accept`),
    remove: (id: string) => client.delete<void>(`/haiku/${encodeURIComponent(id)}`),
    history: async (id: string, signal?: AbortSignal) =>
      (await client.get<{ items: ChatMessage[] }>(`/chat/${encodeURIComponent(id)}/history`, { signal })).items,
    /** One chat turn, its answer streamed: the stored turn once it is complete, or an ApiError (the guardrail's
     * 422 included) with the API's own words. */
    async chat(id: string, message: string, { onText, signal }: StreamHandlers): Promise<ChatTurn> {
      const response = await client.postStream(`/chat/${encodeURIComponent(id)}/stream`, { message }, { signal });
      for await (const { event, data } of serverEvents(response)) {
        if (event === "delta") onText((data as { text: string }).text);
        else if (event === "done") return data as ChatTurn;
        else if (event === "error") {
          const { detail, status } = data as { detail?: string; status?: number };
          throw new ApiError(status ?? 0, detail ?? CUT_OFF);
        }
      }
      throw new ApiError(0, CUT_OFF);
    },
  };
}

export type HaikuApi = ReturnType<typeof createHaikuApi>;
