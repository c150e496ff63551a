import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { SESSION, WORDS } from "../test/fixtures";
import { pageOf, renderApp } from "../test/renderApp";

describe("study sessions", () => {
  it("lists sessions with activity, group, times and review counts", async () => {
    await renderApp("/study_sessions", { "GET /api/study_sessions": pageOf([SESSION]) });
    expect(await screen.findByRole("link", { name: "#9" })).toHaveAttribute("href", "/study_sessions/9");
    expect(screen.getByRole("cell", { name: "Writing Practice" })).toBeInTheDocument();
    expect(screen.getByRole("cell", { name: "6" })).toBeInTheDocument();
  });

  it("invites the learner to launch an activity when there are none", async () => {
    await renderApp("/study_sessions", { "GET /api/study_sessions": pageOf([]) });
    expect(await screen.findByText(/No study sessions yet/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Start studying" })).toHaveAttribute("href", "/study_activities");
  });

  it("shows a session's details and the words reviewed in it", async () => {
    await renderApp("/study_sessions/9", {
      "GET /api/study_sessions/9": SESSION,
      "GET /api/study_sessions/9/words": pageOf(WORDS),
    });
    expect(await screen.findByText("Basic Greetings")).toBeInTheDocument();
    expect(screen.getByText("Writing Practice")).toBeInTheDocument();
    expect(await screen.findByText("こんにちは")).toBeInTheDocument();
  });

  it("shows the API's message for someone else's or a missing session", async () => {
    await renderApp("/study_sessions/77", {
      "GET /api/study_sessions/77": Response.json({ detail: "study session 77 not found" }, { status: 404 }),
      "GET /api/study_sessions/77/words": Response.json({ detail: "study session 77 not found" }, { status: 404 }),
    });
    expect((await screen.findAllByRole("alert"))[0]).toHaveTextContent("study session 77 not found");
  });
});
