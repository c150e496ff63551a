import { screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { WORDS } from "../test/fixtures";
import { pageOf, renderApp } from "../test/renderApp";

const WORD_DETAIL = {
  id: 1,
  japanese: "こんにちは",
  kana: "こんにちは",
  romaji: "konnichiwa",
  english: "hello",
  stats: { correct_count: 3, wrong_count: 1 },
  groups: [{ id: 1, name: "Basic Greetings" }],
};

describe("words", () => {
  it("lists words as links with furigana over the kanji and the romaji once", async () => {
    const meat = { ...WORDS[0], id: 3, japanese: "黄色い", kana: "きいろい", romaji: "kiiroi", english: "yellow" };
    await renderApp("/words", { "GET /api/words": pageOf([meat]) });
    // The link's name is its visible text (no aria-label that could differ from it).
    const link = await screen.findByRole("link", { name: /黄色/ });
    expect(link).toHaveAttribute("href", "/words/3");
    expect(link).not.toHaveAttribute("aria-label");
    const ruby = link.querySelector("ruby")!;
    expect(ruby.closest("[lang=ja]")).not.toBeNull();
    expect(ruby.firstChild?.textContent).toBe("黄色");
    expect(ruby.querySelector("rt")).toHaveTextContent("きいろ");
    // The romaji sits under the word only where the romaji column is hidden (below md).
    expect(within(link).getByText("kiiroi")).toHaveClass("md:hidden");
    expect(screen.getAllByText("kiiroi")).toHaveLength(2);
  });

  it("searches on the server as the learner types, from page 1, keeping the search in the address", async () => {
    const { user, requests } = await renderApp("/words?page=2", {
      "GET /api/words": ({ query }: { query: Record<string, string> }) =>
        query.q === "zzz" ? pageOf([]) : pageOf(query.q ? [WORDS[1]] : WORDS, { totalPages: 3, totalItems: 201 }),
    });
    await screen.findByText("ありがとう");
    await user.type(screen.getByRole("searchbox", { name: "Search words" }), "arig");
    await vi.waitFor(() => expect(requests.at(-1)?.query).toEqual({ page: "1", q: "arig" }));
    await vi.waitFor(() => expect(screen.queryByText("こんにちは")).not.toBeInTheDocument());
    expect(screen.getByRole("searchbox", { name: "Search words" })).toHaveFocus();

    await user.clear(screen.getByRole("searchbox", { name: "Search words" }));
    await user.type(screen.getByRole("searchbox", { name: "Search words" }), "zzz{Enter}");
    expect(await screen.findByText(/No word matches “zzz”/)).toBeInTheDocument();
  });

  it("keeps the table and the focus on the sort button while a new sort loads", async () => {
    let release: (() => void) | null = null;
    const { user } = await renderApp("/words", {
      "GET /api/words": ({ query }: { query: Record<string, string> }) =>
        query.sort_by
          ? new Promise((resolve) => {
              release = () => resolve(pageOf([WORDS[1], WORDS[0]]));
            })
          : pageOf(WORDS),
    });
    const sort = await screen.findByRole("button", { name: /English/ });
    await user.click(sort);
    expect(screen.getByRole("table")).toHaveAttribute("aria-busy", "true");
    expect(screen.getByRole("button", { name: /English/ })).toHaveFocus();
    expect(screen.getByText("こんにちは")).toBeInTheDocument(); // the old rows, until the new ones arrive
    release!();
    await vi.waitFor(() => expect(screen.getByRole("table")).not.toHaveAttribute("aria-busy"));
    expect(screen.getByRole("button", { name: /English/ })).toHaveFocus();
  });

  it("ignores a sort the table does not offer instead of showing the API's validation message", async () => {
    const { requests } = await renderApp("/words?sort_by=kanji&order=up", { "GET /api/words": pageOf(WORDS) });
    await screen.findByText("ありがとう");
    expect(requests.at(-1)?.query).toEqual({ page: "1" });
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("offers the last page for a page past the end instead of an empty table", async () => {
    const { user } = await renderApp("/words?page=2", {
      "GET /api/words": ({ query }: { query: Record<string, string> }) =>
        query.page === "2" ? pageOf([], { page: 2, totalItems: 54 }) : pageOf(WORDS, { totalItems: 54 }),
    });
    expect(await screen.findByText(/There is no page 2: this list has one page/)).toBeInTheDocument();
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Go to page 1" }));
    expect(await screen.findByText("ありがとう")).toBeInTheDocument();
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

  it("says a missing word is not there, with the way back and no pointless retry", async () => {
    await renderApp("/words/404", {
      "GET /api/words/404": Response.json({ detail: "word 404 not found" }, { status: 404 }),
    });
    const notice = (await screen.findByText(/There is no word 404/)).closest("[role=status]") as HTMLElement;
    expect(notice).toHaveTextContent("Not found");
    expect(within(notice).getByRole("link", { name: "See all words" })).toHaveAttribute("href", "/words");
    expect(screen.queryByRole("button", { name: "Try again" })).not.toBeInTheDocument();
    expect(screen.queryByText("Something went wrong")).not.toBeInTheDocument();
  });

  it("shows the word's reading as furigana in its title, marked as Japanese", async () => {
    await renderApp("/words/7", {
      "GET /api/words/7": { ...WORD_DETAIL, id: 7, japanese: "果物", kana: "くだもの", romaji: "kudamono" },
    });
    const title = await screen.findByRole("heading", { level: 1, name: "果物" });
    expect(title).toHaveAttribute("lang", "ja");
    expect(document.querySelector("main ruby rt")).toHaveTextContent("くだもの");
  });
});

describe("a word's audio, picture and example sentence", () => {
  it("offers only the features this Lang Portal has, in a learner's words", async () => {
    const { requests } = await renderApp("/words/1", {
      "GET /api/words/1": WORD_DETAIL,
      "GET /api/capabilities": { features: { word_audio: false, word_picture: false, example_sentence: false } },
    });
    expect(
      await screen.findByText(
        "Pronunciation audio, pictures and example sentences are not offered on this Lang Portal.",
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Play pronunciation|Show picture|Example sentence/ })).toBeNull();
    expect(requests.filter((request) => request.method === "POST")).toEqual([]);
  });

  it("says plainly when an offered feature fails, without the API's operator detail", async () => {
    const { user } = await renderApp("/words/1", {
      "GET /api/words/1": WORD_DETAIL,
      "GET /api/capabilities": { features: { word_audio: true, word_picture: true, example_sentence: false } },
      "POST /api/words/1/audio": Response.json({ detail: "Polly failed: InternalFailure" }, { status: 503 }),
      "POST /api/words/1/picture": Response.json({ detail: "Bedrock is rate limiting" }, { status: 429 }),
    });
    expect(await screen.findByText("Example sentences are not offered on this Lang Portal.")).toBeInTheDocument();
    await user.click(await screen.findByRole("button", { name: /Play pronunciation/ }));
    const notice = await screen.findByText("The pronunciation audio is not available right now");
    expect(notice.closest("[role=status]")).toHaveTextContent("Try again in a little while.");
    expect(document.body).not.toHaveTextContent("Polly");

    await user.click(screen.getByRole("button", { name: "Show picture" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wait a few seconds and try again.");
  });

  it("keeps the focus on an assist button while its request runs", async () => {
    let release: (() => void) | null = null;
    const { user } = await renderApp("/words/1", {
      "GET /api/words/1": WORD_DETAIL,
      "GET /api/capabilities": { features: { word_audio: true, word_picture: true, example_sentence: true } },
      "POST /api/words/1/example_sentence": () =>
        new Promise((resolve) => {
          release = () =>
            resolve({ word_id: 1, japanese: "例文です。", romaji: "reibun desu.", english: "An example." });
        }),
    });
    await user.click(await screen.findByRole("button", { name: "Example sentence" }));
    const busy = screen.getByRole("button", { name: "Writing example…" });
    expect(busy).toHaveFocus();
    expect(busy).toHaveAttribute("aria-disabled", "true");
    release!();
    expect(await screen.findByText("例文です。")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Example sentence" })).toHaveFocus();
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

  it("tells the learner when the content filter held an example back", async () => {
    const { user } = await renderApp("/words/1", {
      "GET /api/words/1": WORD_DETAIL,
      "POST /api/words/1/example_sentence": Response.json(
        { detail: "the request was blocked by the content guardrail", reason: "guardrail" },
        { status: 422 },
      ),
    });
    await user.click(await screen.findByRole("button", { name: "Example sentence" }));
    expect(await screen.findByText("No example sentence for this word")).toBeInTheDocument();
    expect(screen.getByText(/The content filter held the example sentence back/)).toBeInTheDocument();
  });
});
