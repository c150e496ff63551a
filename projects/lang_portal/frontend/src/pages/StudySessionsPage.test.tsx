import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { SESSION, WORDS } from "../test/fixtures";
import { pageOf, renderApp } from "../test/renderApp";

describe("study sessions", () => {
  it("lists sessions with activity, group, times and review counts", async () => {
    await renderApp("/study_sessions", { "GET /api/study_sessions": pageOf([SESSION]) });
    expect(await screen.findByRole("link", { name: "#9" })).toHaveAttribute("href", "/study_sessions/9");
    expect(screen.getByRole("cell", { name: "Writing Practice" })).toBeInTheDocument();
    expect(screen.getByRole("cell", { name: /^6\s*·\s*4 correct$/ })).toBeInTheDocument();
  });

  it("invites the learner to launch an activity when there are none", async () => {
    await renderApp("/study_sessions", { "GET /api/study_sessions": pageOf([]) });
    expect(await screen.findByText(/No study sessions yet/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Start studying" })).toHaveAttribute("href", "/study_activities");
  });

  it("shows a session's details with links, its score and the words reviewed in it", async () => {
    await renderApp("/study_sessions/9", {
      "GET /api/study_sessions/9": { ...SESSION, group_id: 1, study_activity_id: 4 },
      "GET /api/study_sessions/9/words": pageOf(WORDS),
    });
    expect(await screen.findByRole("link", { name: "Basic Greetings" })).toHaveAttribute("href", "/groups/1");
    expect(screen.getByRole("link", { name: "Writing Practice" })).toHaveAttribute("href", "/study_activities/4");
    expect(screen.getByText("4/6 correct")).toBeInTheDocument();
    expect(await screen.findByText("こんにちは")).toBeInTheDocument();
  });

  it("does not repeat the start as the end of a session without answers", async () => {
    const fresh = { ...SESSION, group_id: 1, study_activity_id: 4, review_items_count: 0, correct_count: 0 };
    await renderApp("/study_sessions/9", {
      "GET /api/study_sessions/9": { ...fresh, end_time: fresh.start_time },
      "GET /api/study_sessions/9/words": pageOf([]),
    });
    expect(await screen.findByText("No answers yet")).toBeInTheDocument();
    const lastAnswer = screen.getByText("Last answer").nextElementSibling;
    expect(lastAnswer).toHaveTextContent("—");
  });

  it("says a missing session is not there, without a second error for its words", async () => {
    await renderApp("/study_sessions/77", {
      "GET /api/study_sessions/77": Response.json({ detail: "study session 77 not found" }, { status: 404 }),
      "GET /api/study_sessions/77/words": Response.json({ detail: "study session 77 not found" }, { status: 404 }),
    });
    expect(await screen.findByText(/There is no study session 77/)).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(screen.getByRole("link", { name: "See your study sessions" })).toHaveAttribute("href", "/study_sessions");
  });
});
