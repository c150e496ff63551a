import { screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { WORDS } from "../test/fixtures";
import { pageOf, renderApp } from "../test/renderApp";

const WORD_DETAIL = {
  id: 1,
  japanese: "こんにちは",
  romaji: "konnichiwa",
  english: "hello",
  stats: { correct_count: 3, wrong_count: 1 },
  groups: [{ id: 1, name: "Basic Greetings" }],
};

describe("words", () => {
  it("lists words with the Japanese large, in Japanese, and its romaji", async () => {
    await renderApp("/words", { "GET /api/words": pageOf(WORDS) });
    const link = await screen.findByRole("link", { name: "こんにちは (konnichiwa)" });
    expect(link).toHaveAttribute("href", "/words/1");
    const japanese = within(link).getByText("こんにちは");
    expect(japanese).toHaveAttribute("lang", "ja");
    expect(japanese).toHaveClass("sm:text-2xl");
    expect(within(link).getByText("konnichiwa")).toBeInTheDocument();
  });

  it("pages through the list with the API's pagination", async () => {
    const { user, requests } = await renderApp("/words", {
      "GET /api/words": ({ query }: { query: Record<string, string> }) =>
        pageOf(query.page === "2" ? [WORDS[1]] : [WORDS[0]], {
          page: Number(query.page ?? 1),
          totalPages: 2,
          totalItems: 101,
        }),
    });
    expect(await screen.findByText("Page 1 of 2 · 101 items")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Previous" })).toBeDisabled();

    await user.click(screen.getByRole("button", { name: "Next" }));

    expect(await screen.findByText("ありがとう")).toBeInTheDocument();
    expect(screen.getByText("Page 2 of 2 · 101 items")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Next" })).toBeDisabled();
    expect(requests.at(-1)?.query).toEqual({ page: "2" });
  });

  it("sorts by a column, then reverses on a second click, from page 1", async () => {
    const { user, requests } = await renderApp("/words?page=2", {
      "GET /api/words": pageOf(WORDS, { totalPages: 3, totalItems: 250 }),
    });
    await screen.findByText("ありがとう");

    await user.click(screen.getByRole("button", { name: /English/ }));
    await screen.findByText("ありがとう");
    expect(requests.at(-1)?.query).toEqual({ page: "1", sort_by: "english", order: "asc" });
    expect(screen.getByRole("columnheader", { name: /English/ })).toHaveAttribute("aria-sort", "ascending");

    await user.click(screen.getByRole("button", { name: /English/ }));
    await screen.findByText("ありがとう");
    expect(requests.at(-1)?.query).toEqual({ page: "1", sort_by: "english", order: "desc" });
    expect(screen.getByRole("columnheader", { name: /English/ })).toHaveAttribute("aria-sort", "descending");
  });

  it("says so when there are no words", async () => {
    await renderApp("/words", { "GET /api/words": pageOf([]) });
    expect(await screen.findByText("There are no words yet.")).toBeInTheDocument();
  });

  it("shows a word's statistics and its groups", async () => {
    await renderApp("/words/1", { "GET /api/words/1": WORD_DETAIL });
    expect(await screen.findByRole("heading", { level: 1, name: "こんにちは" })).toBeInTheDocument();
    const stats = screen.getByRole("region", { name: "Study statistics" });
    expect(within(stats).getByText("3")).toBeInTheDocument();
    expect(within(stats).getByText("75%")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Basic Greetings" })).toHaveAttribute("href", "/groups/1");
  });

  it("shows the API's message for a word that does not exist", async () => {
    await renderApp("/words/404", {
      "GET /api/words/404": Response.json({ detail: "word 404 not found" }, { status: 404 }),
    });
    expect(await screen.findByRole("alert")).toHaveTextContent("word 404 not found");
  });
});

describe("a word's audio, picture and example sentence", () => {
  it("explains inline when AWS features are off (503) instead of failing", async () => {
    const { user } = await renderApp("/words/1", {
      "GET /api/words/1": WORD_DETAIL,
      "POST /api/words/1/audio": Response.json(
        { detail: "word audio is not available: set AWS_DEFAULT_REGION, MEDIA_BUCKET to enable it" },
        { status: 503 },
      ),
      "POST /api/words/1/picture": Response.json({ detail: "word pictures is not available" }, { status: 503 }),
    });
    await user.click(await screen.findByRole("button", { name: /Play pronunciation/ }));
    const notice = await screen.findByText("Pronunciation audio is not available right now");
    expect(notice.closest("[role=status]")).toHaveTextContent("set AWS_DEFAULT_REGION, MEDIA_BUCKET to enable it");

    await user.click(screen.getByRole("button", { name: "Show picture" }));
    expect(await screen.findByText("The picture is not available right now")).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("plays the audio from the presigned URL and shows the picture and an example", async () => {
    const play = vi.spyOn(HTMLMediaElement.prototype, "play").mockResolvedValue(undefined);
    const media = (url: string) => ({ word_id: 1, url, content_type: "audio/mpeg", expires_in: 900 });
    const { user } = await renderApp("/words/1", {
      "GET /api/words/1": WORD_DETAIL,
      "POST /api/words/1/audio": media("https://media.example.test/a.mp3"),
      "POST /api/words/1/picture": media("https://media.example.test/p.png"),
      "POST /api/words/1/example_sentence": {
        word_id: 1,
        japanese: "こんにちは、元気ですか。",
        romaji: "konnichiwa, genki desu ka.",
        english: "Hello, how are you?",
      },
    });

    await user.click(await screen.findByRole("button", { name: /Play pronunciation/ }));
    await vi.waitFor(() => expect(play).toHaveBeenCalledTimes(1));
    expect((play.mock.contexts[0] as HTMLAudioElement).src).toBe("https://media.example.test/a.mp3");

    await user.click(screen.getByRole("button", { name: "Show picture" }));
    expect(await screen.findByRole("img", { name: "Picture of “hello”" })).toHaveAttribute(
      "src",
      "https://media.example.test/p.png",
    );

    await user.click(screen.getByRole("button", { name: "Example sentence" }));
    expect(await screen.findByText("こんにちは、元気ですか。")).toBeInTheDocument();
    expect(screen.getByText("Hello, how are you?")).toBeInTheDocument();
  });

  it("reports a guardrail refusal as an error", async () => {
    const { user } = await renderApp("/words/1", {
      "GET /api/words/1": WORD_DETAIL,
      "POST /api/words/1/example_sentence": Response.json(
        { detail: "the request was blocked by the content guardrail", reason: "guardrail" },
        { status: 422 },
      ),
    });
    await user.click(await screen.findByRole("button", { name: "Example sentence" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("the request was blocked by the content guardrail");
  });
});
