import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { GROUPS, SESSION, WORDS } from "../test/fixtures";
import { pageOf, renderApp } from "../test/renderApp";

describe("word groups", () => {
  it("lists groups with their word counts, sortable by size", async () => {
    const { user, requests } = await renderApp("/groups", { "GET /api/groups": pageOf(GROUPS) });
    expect(await screen.findByRole("link", { name: "Food" })).toHaveAttribute("href", "/groups/2");
    expect(screen.getByRole("cell", { name: "30" })).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: /Words/ }));
    await screen.findByRole("link", { name: "Food" });
    expect(requests.at(-1)?.query).toMatchObject({ sort_by: "word_count", order: "asc" });
  });

  it("shows loading, then the empty state", async () => {
    await renderApp("/groups", { "GET /api/groups": pageOf([]) });
    expect(screen.getByRole("status")).toHaveTextContent("Loading…");
    expect(await screen.findByText("There are no word groups yet.")).toBeInTheDocument();
  });

  it("shows a group's words and sessions, each table paged on its own", async () => {
    const { user, requests } = await renderApp("/groups/1", {
      "GET /api/groups/1": { id: 1, name: "Basic Greetings", stats: { total_word_count: 2 } },
      "GET /api/groups/1/words": pageOf(WORDS, { totalPages: 2, totalItems: 102 }),
      "GET /api/groups/1/study_sessions": pageOf([SESSION]),
    });
    expect(await screen.findByRole("heading", { level: 1, name: "Basic Greetings" })).toBeInTheDocument();
    expect(screen.getByText("2 words in this group.")).toBeInTheDocument();
    const words = screen.getByRole("region", { name: "Words" });
    expect(await within(words).findByText("ありがとう")).toBeInTheDocument();
    const sessions = screen.getByRole("region", { name: "Study sessions" });
    expect(await within(sessions).findByRole("link", { name: "#9" })).toBeInTheDocument();

    await user.click(within(words).getByRole("button", { name: "Next" }));
    await within(words).findByText("ありがとう");
    const wordRequests = requests.filter((request) => request.path === "/api/groups/1/words");
    expect(wordRequests.at(-1)?.query).toEqual({ page: "2" });
    const sessionRequests = requests.filter((request) => request.path === "/api/groups/1/study_sessions");
    expect(sessionRequests.every((request) => request.query.page === "1")).toBe(true);
  });
});
