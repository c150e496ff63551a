import { screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { pageOf, renderApp } from "../test/renderApp";

describe("layout", () => {
  it("highlights the current section in the nav bar, also on its detail pages", async () => {
    await renderApp("/groups/1", {
      "GET /api/groups/1": { id: 1, name: "Food", stats: { total_word_count: 0 } },
      "GET /api/groups/1/words": pageOf([]),
      "GET /api/groups/1/study_sessions": pageOf([]),
    });
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Word Groups" })).toHaveAttribute("aria-current", "page");
    expect(within(nav).getByRole("link", { name: "Words" })).not.toHaveAttribute("aria-current");
    expect(screen.getByText("Local mode")).toBeInTheDocument();
  });

  it("leads back through breadcrumbs that end at the current page", async () => {
    await renderApp("/groups/1", {
      "GET /api/groups/1": { id: 1, name: "Food", stats: { total_word_count: 0 } },
      "GET /api/groups/1/words": pageOf([]),
      "GET /api/groups/1/study_sessions": pageOf([]),
    });
    const crumbs = screen.getByRole("navigation", { name: "Breadcrumb" });
    expect(await within(crumbs).findByText("Food")).toHaveAttribute("aria-current", "page");
    expect(within(crumbs).getByRole("link", { name: "Word Groups" })).toHaveAttribute("href", "/groups");
    await vi.waitFor(() => expect(document.title).toBe("Food · Lang Portal"));
  });

  it("opens and closes the menu on narrow screens with a labelled button", async () => {
    const { user } = await renderApp("/settings", {});
    const toggle = screen.getByRole("button", { name: "Menu" });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    await user.click(toggle);
    expect(screen.getByRole("button", { name: "Close menu" })).toHaveAttribute("aria-expanded", "true");
  });

  it("closes the narrow-screen menu on Escape and gives the focus back to its button", async () => {
    const { user } = await renderApp("/settings", {});
    await user.click(screen.getByRole("button", { name: "Menu" }));
    await user.tab();
    await user.keyboard("{Escape}");
    const toggle = screen.getByRole("button", { name: "Menu" });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    expect(toggle).toHaveFocus();
  });

  it("moves the focus to the new page's heading after a navigation, not on the first page", async () => {
    const { user } = await renderApp("/settings", {});
    expect(screen.getByRole("heading", { level: 1, name: "Settings" })).not.toHaveFocus();
    await user.click(
      within(screen.getByRole("navigation", { name: "Main" })).getByRole("link", { name: "Word Groups" }),
    );
    expect(await screen.findByRole("heading", { level: 1, name: "Word Groups" })).toHaveFocus();
  });

  it("sends / to the dashboard", async () => {
    await renderApp("/", {});
    expect(screen.getByRole("heading", { name: "Dashboard" })).toBeInTheDocument();
  });

  it("answers an unknown address with a not-found page", async () => {
    await renderApp("/nowhere", {});
    expect(screen.getByRole("heading", { name: "Page not found" })).toBeInTheDocument();
  });

  it("shows not-found for a detail address whose id is not a number", async () => {
    const { requests } = await renderApp("/words/abc", {});
    expect(screen.getByRole("heading", { name: "Page not found" })).toBeInTheDocument();
    expect(requests).toEqual([]);
  });
});
