import { describe, expect, it, vi } from "vitest";
import { ApiClient, ApiError, networkErrorMessage, errorMessageFrom } from "./client";

type Reply = Response | (() => Response | Promise<Response>);

/** A fetch that answers each call with the next reply and records what was sent. */
function scriptedFetch(...replies: Reply[]) {
  const fetchMock = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => {
    const reply = replies.shift();
    if (!reply) throw new Error("unexpected request");
    return typeof reply === "function" ? reply() : reply;
  });
  const sent = () =>
    fetchMock.mock.calls.map(([input, init]) => ({
      url: String(input),
      method: init?.method,
      headers: init?.headers as Record<string, string>,
      body: init?.body,
    }));
  return { fetchMock, sent };
}

const page = (items: number[], current: number, totalPages: number) =>
  Response.json({
    items,
    pagination: { current_page: current, total_pages: totalPages, total_items: 250, items_per_page: 100 },
  });

describe("ApiClient", () => {
  it("attaches the bearer token and builds the query string", async () => {
    const { fetchMock, sent } = scriptedFetch(page([1], 2, 3));
    const client = new ApiClient("/api", async () => "token-1", fetchMock);

    await client.getPage("/words", { page: 2, sort_by: "english", order: "desc" });

    expect(sent()[0]).toMatchObject({
      url: "/api/words?page=2&sort_by=english&order=desc",
      method: "GET",
      headers: { Accept: "application/json", Authorization: "Bearer token-1" },
    });
  });

  it("sends no Authorization header in local mode and posts JSON", async () => {
    const { fetchMock, sent } = scriptedFetch(Response.json({ id: 7, group_id: 2 }));
    const client = new ApiClient("/api", async () => null, fetchMock);

    await expect(client.post("/study_activities", { group_id: 2, study_activity_id: 1 })).resolves.toEqual({
      id: 7,
      group_id: 2,
    });

    expect(sent()[0]).toEqual({
      url: "/api/study_activities",
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify({ group_id: 2, study_activity_id: 1 }),
    });
  });

  it("reads every page of a list", async () => {
    const { fetchMock, sent } = scriptedFetch(page([1, 2], 1, 3), page([3], 2, 3), page([4], 3, 3));
    const client = new ApiClient("/api", async () => null, fetchMock);

    await expect(client.getAllPages<number>("/groups", { sort_by: "name" })).resolves.toEqual([1, 2, 3, 4]);
    expect(sent().map((request) => request.url)).toEqual([
      "/api/groups?sort_by=name&page=1",
      "/api/groups?sort_by=name&page=2",
      "/api/groups?sort_by=name&page=3",
    ]);
  });

  it("stops at an empty page even if total_pages says more", async () => {
    const { fetchMock } = scriptedFetch(page([], 1, 5));
    const client = new ApiClient("/api", async () => null, fetchMock);
    await expect(client.getAllPages("/groups")).resolves.toEqual([]);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it("turns the API's JSON error into an ApiError with its message", async () => {
    const { fetchMock } = scriptedFetch(Response.json({ detail: "Word not found" }, { status: 404 }));
    const client = new ApiClient("/api", async () => null, fetchMock);
    const error = await client.get("/words/999").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, message: "Word not found" });
  });

  it("summarises FastAPI validation errors and bodies it does not know", () => {
    expect(errorMessageFrom({ detail: [{ msg: "page must be >= 1" }, { msg: "bad order" }] }, 422)).toBe(
      "page must be >= 1; bad order",
    );
    expect(errorMessageFrom({ message: "nope" }, 400)).toBe("nope");
    expect(errorMessageFrom("<html>", 502)).toBe("The API answered with status 502.");
  });

  it("reports an unreachable API and a non-JSON answer plainly", async () => {
    const { fetchMock } = scriptedFetch(
      () => Promise.reject(new TypeError("Failed to fetch")),
      new Response("<html>hi</html>", { status: 200 }),
      new Response("<html>Bad gateway</html>", { status: 502 }),
    );
    const client = new ApiClient("/api", async () => null, fetchMock);
    await expect(client.get("/words")).rejects.toMatchObject({ status: 0, message: networkErrorMessage("the API") });
    await expect(client.get("/words")).rejects.toMatchObject({
      message: "The API answered with something that is not JSON.",
    });
    await expect(client.get("/words")).rejects.toMatchObject({
      status: 502,
      message: "The API answered with status 502.",
    });
  });

  it("retries once with a refreshed token when the API says 401", async () => {
    const { fetchMock, sent } = scriptedFetch(
      Response.json({ detail: "token expired" }, { status: 401 }),
      Response.json({ total_words_studied: 1, total_available_words: 2 }),
    );
    const getToken = vi.fn(async (options?: { refused?: string }) =>
      options?.refused === "stale" ? "fresh" : "stale",
    );
    const client = new ApiClient("/api", getToken, fetchMock);

    await expect(client.get("/dashboard/study_progress")).resolves.toEqual({
      total_words_studied: 1,
      total_available_words: 2,
    });
    expect(sent().map((request) => request.headers.Authorization)).toEqual(["Bearer stale", "Bearer fresh"]);
  });

  it("gives up with the 401 when no fresh token can be had", async () => {
    const { fetchMock } = scriptedFetch(Response.json({ detail: "token expired" }, { status: 401 }));
    const getToken = vi.fn(async (options?: { refused?: string }) => (options?.refused === "stale" ? null : "stale"));
    const client = new ApiClient("/api", getToken, fetchMock);
    await expect(client.get("/words")).rejects.toMatchObject({ status: 401, message: "token expired" });
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it("lets an aborted request stay an abort, not a network error", async () => {
    const controller = new AbortController();
    const { fetchMock } = scriptedFetch(() => {
      controller.abort();
      return Promise.reject(new DOMException("aborted", "AbortError"));
    });
    const client = new ApiClient("/api", async () => null, fetchMock);
    await expect(client.get("/words", { signal: controller.signal })).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("ApiClient.postStream", () => {
  it("hands back the open response, asking for events, and refuses like any request", async () => {
    const fetchMock = vi.fn(async (_input: RequestInfo | URL, init?: RequestInit) =>
      (init?.body as string).includes("bad")
        ? Response.json({ detail: "this haiku is completed" }, { status: 409 })
        : new Response("event: done\ndata: {}\n\n", { headers: { "Content-Type": "text/event-stream" } }),
    );
    const client = new ApiClient("/api", async () => "token", fetchMock);
    const response = await client.postStream("/chat/1/stream", { message: "hi" });
    expect(await response.text()).toBe("event: done\ndata: {}\n\n");
    expect(fetchMock.mock.calls[0][1]?.headers).toMatchObject({
      Accept: "text/event-stream",
      Authorization: "Bearer token",
    });
    await expect(client.postStream("/chat/1/stream", { message: "bad" })).rejects.toMatchObject({
      status: 409,
      message: "this haiku is completed",
    });
  });
});
