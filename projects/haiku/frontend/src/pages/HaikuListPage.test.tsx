import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { haiku, ID, LINES, renderApp } from "../test/renderApp";

describe("HaikuListPage", () => {
  it("lists the learner's haiku with their statuses", async () => {
    await renderApp("/", {
      "GET /api/haiku": {
        items: [
          haiku({ status: "completed", english_lines: LINES, japanese_lines: ["古池や", "蛙飛び込む", "水の音"] }),
          haiku({ haiku_id: "f".repeat(32), status: "failed", error_message: "busy" }),
        ],
        total: 2,
      },
    });
    const items = within(await screen.findByRole("list", { name: "Haiku" })).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("An old silent pond");
    expect(items[0]).toHaveTextContent("古池や");
    expect(items[0]).toHaveTextContent("Completed");
    expect(items[1]).toHaveTextContent("Untitled haiku");
    expect(items[1]).toHaveTextContent("Failed");
    expect(within(items[0]).getByRole("link")).toHaveAttribute("href", `/haiku/${ID}`);
  });

  it("starts a new haiku and opens it", async () => {
    const { user, requests } = await renderApp("/", {
      "GET /api/haiku": { items: [], total: 0 },
      "POST /api/haiku": haiku(),
      [`GET /api/haiku/${ID}`]: haiku(),
      [`GET /api/chat/${ID}/history`]: { haiku_id: ID, items: [] },
      "GET /api/capabilities": { features: { chat: true, media: true } },
    });
    expect(await screen.findByText(/No haiku yet/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "New haiku" }));
    expect(await screen.findByRole("heading", { name: "Chat" })).toBeInTheDocument();
    expect(requests.map((request) => `${request.method} ${request.path}`)).toContain("POST /api/haiku");
  });

  it("deletes a haiku only after confirmation, then lists again", async () => {
    let deleted = false;
    const { user, requests } = await renderApp("/", {
      "GET /api/haiku": () =>
        deleted ? { items: [], total: 0 } : { items: [haiku({ english_lines: LINES })], total: 1 },
      [`DELETE /api/haiku/${ID}`]: () => {
        deleted = true;
        return new Response(null, { status: 204 });
      },
    });
    await user.click(await screen.findByRole("button", { name: "Delete “An old silent pond”" }));
    const dialog = screen.getByRole("dialog");
    expect(dialog).toHaveTextContent("its chat, pictures and audio are deleted for good");
    expect(requests.some((request) => request.method === "DELETE")).toBe(false);
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText(/No haiku yet/)).toBeInTheDocument();
  });

  it("says plainly when the API is down", async () => {
    await renderApp("/", { "GET /api/haiku": new Response("{}", { status: 503 }) });
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "The Haiku Generator could not answer just now. Try again in a moment.",
    );
  });
});
