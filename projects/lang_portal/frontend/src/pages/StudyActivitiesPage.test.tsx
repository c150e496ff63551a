import { screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ACTIVITY, GROUPS, SESSION } from "../test/fixtures";
import { pageOf, renderApp } from "../test/renderApp";

describe("study activities", () => {
  it("shows each activity as a card with launch and view links", async () => {
    await renderApp("/study_activities", {
      "GET /api/study_activities": pageOf([ACTIVITY, { ...ACTIVITY, id: 5, name: "Haiku Generator" }]),
    });
    const card = (await screen.findByRole("heading", { name: "Writing Practice" })).closest("section")!;
    expect(within(card).getByText("Write the words you hear.")).toBeInTheDocument();
    expect(within(card).getByRole("link", { name: "Launch Writing Practice" })).toHaveAttribute(
      "href",
      "/study_activities/4/launch",
    );
    expect(screen.getByRole("link", { name: "View Haiku Generator" })).toHaveAttribute("href", "/study_activities/5");
  });

  it("shows the activity's thumbnail, and its initial when the image fails", async () => {
    await renderApp("/study_activities", {
      "GET /api/study_activities": pageOf([{ ...ACTIVITY, thumbnail_url: "/thumbnails/writing-practice.png" }]),
    });
    const card = (await screen.findByRole("heading", { name: "Writing Practice" })).closest("section")!;
    const image = card.querySelector("img")!;
    expect(image).toHaveAttribute("src", "/thumbnails/writing-practice.png");
    image.dispatchEvent(new Event("error"));
    expect(await within(card).findByText("W")).toBeInTheDocument();
  });

  it("carries the group chosen with “Study this group” on to the launch, which preselects it", async () => {
    await renderApp("/study_activities?group_id=2", {
      "GET /api/study_activities": pageOf([ACTIVITY]),
      "GET /api/groups/2": { id: 2, name: "Food", stats: { total_word_count: 30 } },
    });
    expect(await screen.findByText("Food")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Launch Writing Practice" })).toHaveAttribute(
      "href",
      "/study_activities/4/launch?group_id=2",
    );
  });

  it("preselects the group named in the launch address", async () => {
    await renderApp("/study_activities/4/launch?group_id=2", {
      "GET /api/study_activities/4": ACTIVITY,
      "GET /api/groups": pageOf(GROUPS),
    });
    expect(await screen.findByRole("combobox", { name: "Word group" })).toHaveValue("2");
    expect(screen.getByRole("button", { name: "Launch now" })).toBeEnabled();
  });

  it("says so when there are none", async () => {
    await renderApp("/study_activities", { "GET /api/study_activities": pageOf([]) });
    expect(await screen.findByText("No study activities are available yet.")).toBeInTheDocument();
  });

  it("shows an activity's details and its sessions", async () => {
    await renderApp("/study_activities/4", {
      "GET /api/study_activities/4": ACTIVITY,
      "GET /api/study_activities/4/study_sessions": pageOf([SESSION]),
    });
    expect(await screen.findByRole("heading", { level: 1, name: "Writing Practice" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Launch" })).toHaveAttribute("href", "/study_activities/4/launch");
    expect(await screen.findByRole("link", { name: "#9" })).toHaveAttribute("href", "/study_sessions/9");
    expect(screen.getByRole("cell", { name: "Basic Greetings" })).toBeInTheDocument();
  });
});

describe("launching an activity", () => {
  it("starts a session for the chosen group, opens the activity in a new tab and shows the session", async () => {
    const open = vi.spyOn(window, "open").mockReturnValue(null);
    const { user, requests } = await renderApp("/study_activities/4/launch", {
      "GET /api/study_activities/4": ACTIVITY,
      "GET /api/groups": pageOf(GROUPS),
      "POST /api/study_activities": { id: 9, group_id: 2 },
      "GET /api/study_sessions/9": { ...SESSION, group_name: "Food", review_items_count: 0 },
      "GET /api/study_sessions/9/words": pageOf([]),
    });
    expect(await screen.findByRole("heading", { name: "Launch Writing Practice" })).toBeInTheDocument();
    const launch = await screen.findByRole("button", { name: "Launch now" });
    expect(launch).toBeDisabled();

    await user.selectOptions(screen.getByLabelText("Word group"), "Food (30 words)");
    await user.click(launch);

    expect(requests.find((request) => request.method === "POST")?.body).toEqual({ group_id: 2, study_activity_id: 4 });
    const activityUrl = "https://writing.example.test/?group_id=2&session_id=9";
    expect(open).toHaveBeenCalledWith(activityUrl, "_blank", "noopener,noreferrer");
    expect(await screen.findByRole("heading", { name: "Study session #9" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "open Writing Practice" })).toHaveAttribute("href", activityUrl);
    expect(await screen.findByText("No words reviewed in this session yet.")).toBeInTheDocument();
  });

  it("keeps the user on the page with the API's reason when the session cannot start", async () => {
    const open = vi.spyOn(window, "open").mockReturnValue(null);
    const { user } = await renderApp("/study_activities/4/launch", {
      "GET /api/study_activities/4": ACTIVITY,
      "GET /api/groups": pageOf(GROUPS),
      "POST /api/study_activities": Response.json({ detail: "group 2 not found" }, { status: 404 }),
    });
    await user.selectOptions(await screen.findByLabelText("Word group"), "2");
    await user.click(screen.getByRole("button", { name: "Launch now" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("group 2 not found");
    expect(open).not.toHaveBeenCalled();
    expect(screen.getByRole("button", { name: "Launch now" })).toBeEnabled();
  });

  it("says when there is no group to study", async () => {
    await renderApp("/study_activities/4/launch", {
      "GET /api/study_activities/4": ACTIVITY,
      "GET /api/groups": pageOf([]),
    });
    expect(await screen.findByText("There are no word groups to study yet.")).toBeInTheDocument();
  });
});
