import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { renderApp } from "../test/renderApp";

const STATS = { success_rate: 80, total_study_sessions: 4, total_active_groups: 2, study_streak_days: 1 };

describe("dashboard", () => {
  it("shows no success rate before the first answer", async () => {
    await renderApp("/dashboard", {
      "GET /api/dashboard/last_study_session": null,
      "GET /api/dashboard/study_progress": { total_words_studied: 0, total_available_words: 12 },
      "GET /api/dashboard/quick-stats": { ...STATS, success_rate: null },
    });
    const stats = await screen.findByRole("region", { name: "Quick stats" });
    expect(await within(stats).findByText("Success rate")).toBeInTheDocument();
    expect(within(stats).getByText("—")).toBeInTheDocument();
    expect(within(stats).queryByText("0%")).not.toBeInTheDocument();
  });

  it("shows the last session, progress and quick stats", async () => {
    await renderApp("/dashboard", {
      "GET /api/dashboard/last_study_session": {
        id: 9,
        group_id: 1,
        group_name: "Basic Greetings",
        study_activity_id: 4,
        activity_name: "Writing Practice",
        created_at: "2025-03-01T10:00:00Z",
      },
      "GET /api/dashboard/study_progress": { total_words_studied: 3, total_available_words: 12 },
      "GET /api/dashboard/quick-stats": STATS,
    });

    expect(await screen.findByRole("link", { name: "Basic Greetings" })).toHaveAttribute("href", "/groups/1");
    expect(screen.getByRole("link", { name: /View session #9/ })).toHaveAttribute("href", "/study_sessions/9");
    expect(screen.getByRole("link", { name: "Writing Practice" })).toHaveAttribute("href", "/study_activities/4");
    // Continue: the same activity, launched on the same group.
    expect(screen.getByRole("link", { name: "Continue with Basic Greetings" })).toHaveAttribute(
      "href",
      "/study_activities/4/launch?group_id=1",
    );
    const progress = await screen.findByRole("progressbar", { name: "Words studied" });
    expect(progress).toHaveAttribute("aria-valuenow", "3");
    expect(progress).toHaveAttribute("aria-valuemax", "12");
    expect(screen.getByText("25% of the vocabulary studied")).toBeInTheDocument();
    const stats = screen.getByRole("region", { name: "Quick stats" });
    expect(await within(stats).findByText("80%")).toBeInTheDocument();
    expect(within(stats).getByText("1 day")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Start studying" })).toHaveAttribute("href", "/study_activities");
  });

  it("invites a new learner to start when there is no session yet", async () => {
    await renderApp("/dashboard", {
      "GET /api/dashboard/last_study_session": null,
      "GET /api/dashboard/study_progress": { total_words_studied: 0, total_available_words: 0 },
      "GET /api/dashboard/quick-stats": { ...STATS, success_rate: 0, total_study_sessions: 0 },
    });
    expect(await screen.findByText(/No study sessions yet/)).toBeInTheDocument();
    expect(await screen.findByText("0% of the vocabulary studied")).toBeInTheDocument();
  });

  it("shows a failing card's error and loads it again on retry", async () => {
    let calls = 0;
    const { user } = await renderApp("/dashboard", {
      "GET /api/dashboard/last_study_session": null,
      "GET /api/dashboard/study_progress": () =>
        ++calls === 1
          ? Response.json({ detail: "database unavailable" }, { status: 503 })
          : { total_words_studied: 5, total_available_words: 10 },
      "GET /api/dashboard/quick-stats": STATS,
    });

    const alert = await screen.findByRole("alert");
    // The learner gets advice, not the API's operator-facing detail.
    expect(alert).toHaveTextContent("The Lang Portal could not answer just now. Try again in a moment.");
    expect(alert).not.toHaveTextContent("database unavailable");
    await user.click(within(alert).getByRole("button", { name: "Try again" }));
    expect(await screen.findByText("50% of the vocabulary studied")).toBeInTheDocument();
  });
});
