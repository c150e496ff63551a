import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderApp } from "../test/renderApp";

describe("settings", () => {
  it("switches between dark and light and remembers the choice", async () => {
    const { user } = await renderApp("/settings", {});
    expect(screen.getByRole("radio", { name: "Same as my device" })).toBeChecked();

    await user.click(screen.getByRole("radio", { name: "Dark" }));
    expect(document.documentElement).toHaveClass("dark");
    expect(localStorage.getItem("app-dw.theme")).toBe("dark");

    await user.click(screen.getByRole("radio", { name: "Light" }));
    expect(document.documentElement).not.toHaveClass("dark");
    expect(localStorage.getItem("app-dw.theme")).toBe("light");
  });

  it("resets history only after confirmation", async () => {
    const { user, requests } = await renderApp("/settings", {
      "POST /api/reset_history": { success: true, message: "Study history has been reset" },
    });
    await user.click(screen.getByRole("button", { name: "Reset history" }));
    const dialog = screen.getByRole("dialog", { name: "Reset study history?" });
    expect(dialog).toHaveAttribute("open");
    expect(requests).toEqual([]);

    await user.click(within(dialog).getByRole("button", { name: "Reset history" }));

    expect(await screen.findByText("Study history has been reset")).toBeInTheDocument();
    expect(requests).toEqual([{ method: "POST", path: "/api/reset_history", query: {}, body: undefined }]);
    expect(dialog).not.toHaveAttribute("open");
  });

  it("does nothing when the confirmation is cancelled", async () => {
    const { user, requests } = await renderApp("/settings", {});
    await user.click(screen.getByRole("button", { name: "Full reset" }));
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.getByRole("dialog", { hidden: true })).not.toHaveAttribute("open");
    expect(requests).toEqual([]);
  });

  it("shows why a full reset failed", async () => {
    const { user } = await renderApp("/settings", {
      "POST /api/full_reset": Response.json({ detail: "internal error" }, { status: 500 }),
    });
    await user.click(screen.getByRole("button", { name: "Full reset" }));
    const dialog = screen.getByRole("dialog", { name: "Full reset?" });
    await user.click(within(dialog).getByRole("button", { name: "Full reset" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("internal error");
  });
});
