import { act, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CUT_OFF } from "../api/haiku";
import { AVAILABLE, events, haiku, ID, LINES, renderApp } from "../test/renderApp";
import { POLL_MS } from "./HaikuPage";

const PROPOSAL = `Here is one:\n\nHaiku:\n${LINES.join("\n")}`;

function routes(extra: Record<string, unknown> = {}, current = haiku()) {
  return {
    [`GET /api/haiku/${ID}`]: current,
    [`GET /api/chat/${ID}/history`]: { haiku_id: ID, items: [] },
    "GET /api/capabilities": AVAILABLE,
    ...extra,
  };
}

afterEach(() => vi.useRealTimers());

describe("HaikuPage", () => {
  it("shows the answer as it is written, then the proposed haiku to accept", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const { user, requests } = await renderApp(
      `/haiku/${ID}`,
      routes({
        [`POST /api/chat/${ID}/stream`]: async () => {
          const encoder = new TextEncoder();
          return new Response(
            new ReadableStream({
              async start(controller) {
                controller.enqueue(encoder.encode('event: delta\ndata: {"text": "Here is one:"}\n\n'));
                await held;
                const done = { chat_id: 2, message: PROPOSAL, haiku: haiku({ english_lines: LINES }) };
                controller.enqueue(encoder.encode(`event: done\ndata: ${JSON.stringify(done)}\n\n`));
                controller.close();
              },
            }),
          );
        },
      }),
    );
    expect(await screen.findByRole("button", { name: "Accept this haiku" })).toBeDisabled();
    await user.type(screen.getByLabelText("Your message"), "a frog and a pond");
    await user.click(screen.getByRole("button", { name: "Send" }));
    const conversation = screen.getByRole("list", { name: "Conversation" });
    expect(await within(conversation).findByText("Here is one:")).toBeInTheDocument(); // before the answer ends
    expect(screen.getByRole("button", { name: "Writing…" })).toBeDisabled();
    release();
    expect(await within(conversation).findByText(/Splash! Silence again/)).toBeInTheDocument();
    expect(within(conversation).getByText("a frog and a pond")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Accept this haiku" })).toBeEnabled();
    expect(requests.find((request) => request.method === "POST")?.body).toEqual({ message: "a frog and a pond" });
  });

  it("shows the conversation so far, and sends with Enter", async () => {
    const history = [
      { chat_id: 1, role: "user", message: "autumn leaves", created_at: "2026-12-01T10:00:00Z" },
      { chat_id: 1, role: "assistant", message: "What should they do?", created_at: "2026-12-01T10:00:01Z" },
    ];
    const { user, requests } = await renderApp(
      `/haiku/${ID}`,
      routes({
        [`GET /api/chat/${ID}/history`]: { haiku_id: ID, items: history },
        [`POST /api/chat/${ID}/stream`]: events(["done", { chat_id: 2, message: "They fall.", haiku: haiku() }]),
      }),
    );
    const conversation = await screen.findByRole("list", { name: "Conversation" });
    expect(
      within(conversation)
        .getAllByRole("listitem")
        .map((item) => item.textContent),
    ).toEqual(["You: autumn leaves", "Assistant: What should they do?"]);
    await user.type(screen.getByLabelText("Your message"), "they fall{Enter}");
    expect(await within(conversation).findByText("They fall.")).toBeInTheDocument();
    expect(requests.filter((request) => request.method === "POST").map((request) => request.body)).toEqual([
      { message: "they fall" },
    ]);
    expect(screen.getByLabelText("Your message")).toHaveValue("");
  });

  it("says when an answer stopped before it was complete, and keeps nothing of it", async () => {
    const { user } = await renderApp(
      `/haiku/${ID}`,
      routes({ [`POST /api/chat/${ID}/stream`]: events(["delta", { text: "An old" }]) }),
    );
    await user.type(await screen.findByLabelText("Your message"), "a pond");
    await user.click(screen.getByRole("button", { name: "Send" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("No answer this time");
    expect(alert).toHaveTextContent(CUT_OFF);
    expect(within(screen.getByRole("list", { name: "Conversation" })).queryByText("An old")).toBeNull();
    expect(screen.getByLabelText("Your message")).toHaveValue("a pond");
  });

  it("says what the content filter did, and keeps the message to rephrase", async () => {
    const { user } = await renderApp(
      `/haiku/${ID}`,
      routes({
        [`POST /api/chat/${ID}/stream`]: events([
          "error",
          { detail: "Sorry, that topic is not allowed.", status: 422, reason: "guardrail" },
        ]),
      }),
    );
    await user.type(await screen.findByLabelText("Your message"), "something harmful");
    await user.click(screen.getByRole("button", { name: "Send" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The content filter stopped this message");
    expect(alert).toHaveTextContent("Sorry, that topic is not allowed. Try other words.");
    expect(screen.getByLabelText("Your message")).toHaveValue("something harmful");
    expect(within(screen.getByRole("list", { name: "Conversation" })).queryByText("something harmful")).toBeNull();
  });

  it("accepts, follows the progress and shows the finished haiku with pictures and audio", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let polls = 0;
    const done = haiku({
      status: "completed",
      english_lines: LINES,
      japanese_lines: ["古池や", "蛙飛び込む", "水の音"],
      image_descriptions: ["A pond", "A frog", "Ripples"],
      image_urls: [1, 2, 3].map((n) => `https://haiku.test/haiku/${ID}/image-${n}.png`),
      audio_urls: [1, 2, 3].map((n) => `https://haiku.test/haiku/${ID}/audio-${n}.mp3`),
    });
    const { user } = await renderApp(`/haiku/${ID}`, {
      ...routes({}, haiku({ english_lines: LINES })),
      [`GET /api/haiku/${ID}`]: () => (polls++ === 0 ? haiku({ english_lines: LINES }) : done),
      [`POST /api/haiku/${ID}/accept`]: haiku({ english_lines: LINES, status: "in progress" }),
    });
    await user.click(await screen.findByRole("button", { name: "Accept this haiku" }));
    expect(await screen.findByText("Making your haiku")).toBeInTheDocument();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1600);
    });
    const lines = within(await screen.findByRole("list", { name: "The haiku, line by line" })).getAllByRole("listitem");
    expect(lines).toHaveLength(3);
    expect(within(lines[0]).getByRole("img", { name: "A pond" })).toHaveAttribute("src", done.image_urls[0]);
    expect(lines[1]).toHaveTextContent("蛙飛び込む");
    expect(lines[2].querySelector("audio")).toHaveAttribute("src", done.audio_urls[2]);
    expect(screen.queryByLabelText("Your message")).toBeNull(); // a completed haiku is only viewed (or deleted)
  });

  it("says why an accept was refused, in the API's words", async () => {
    const { user } = await renderApp(`/haiku/${ID}`, {
      ...routes({}, haiku({ english_lines: LINES })),
      [`POST /api/haiku/${ID}/accept`]: Response.json(
        { detail: "you already have a haiku in progress: wait until its media are made" },
        { status: 409 },
      ),
    });
    await user.click(await screen.findByRole("button", { name: "Accept this haiku" }));
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "you already have a haiku in progress: wait until its media are made",
    );
    expect(screen.getByRole("button", { name: "Accept this haiku" })).toBeEnabled();
  });

  it("follows a haiku already in progress until its media fail, then says why", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let polls = 0;
    await renderApp(`/haiku/${ID}`, {
      ...routes(),
      [`GET /api/haiku/${ID}`]: () =>
        polls++ === 0
          ? haiku({ english_lines: LINES, status: "in progress" })
          : haiku({ english_lines: LINES, status: "failed", error_message: "Polly was unavailable." }),
    });
    expect(await screen.findByText("Making your haiku")).toBeInTheDocument();
    expect(screen.queryByLabelText("Your message")).toBeNull(); // no chat while the media are made
    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_MS + 100);
    });
    expect(await screen.findByRole("alert")).toHaveTextContent("Polly was unavailable. You can accept it again.");
    expect(screen.queryByText("Making your haiku")).toBeNull();
  });

  it("shows why the media failed and offers to accept again", async () => {
    await renderApp(
      `/haiku/${ID}`,
      routes({}, haiku({ status: "failed", english_lines: LINES, error_message: "Bedrock image model was busy." })),
    );
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "Bedrock image model was busy. You can accept it again.",
    );
    expect(screen.getByRole("button", { name: "Accept again" })).toBeEnabled();
  });

  it("says when the chat is not available here", async () => {
    await renderApp(`/haiku/${ID}`, routes({ "GET /api/capabilities": { features: { chat: false, media: false } } }));
    expect(await screen.findByText("The chat is not available on this installation.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Accept this haiku" })).toBeDisabled();
  });

  it("tells a learner when a haiku is not theirs or gone", async () => {
    await renderApp(`/haiku/${ID}`, { "GET /api/capabilities": AVAILABLE });
    expect(await screen.findByText(/does not exist, or it is not yours/)).toBeInTheDocument();
  });
});
