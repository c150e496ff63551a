import { describe, expect, it } from "vitest";
import { serverEvents } from "./sse";

function streamed(...chunks: string[]): Response {
  const encoder = new TextEncoder();
  return new Response(
    new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    }),
  );
}

async function all(response: Response) {
  const events = [];
  for await (const event of serverEvents(response)) events.push(event);
  return events;
}

describe("serverEvents", () => {
  it("yields each event as it completes, however the bytes are split", async () => {
    const events = await all(
      streamed(
        'event: delta\ndata: {"text": "Hel',
        'lo"}\n\nevent: del',
        'ta\ndata: {"text": "古池"}\n\n',
        "event: done\ndata: {}\n\n",
      ),
    );
    expect(events).toEqual([
      { event: "delta", data: { text: "Hello" } },
      { event: "delta", data: { text: "古池" } },
      { event: "done", data: {} },
    ]);
  });

  it("turns garbled data into an error event and ignores a cut-off last block", async () => {
    expect(await all(streamed("event: delta\ndata: {nope\n\nevent: done\ndata: {"))).toEqual([
      { event: "error", data: { detail: "The answer was cut off or garbled. Try again." } },
    ]);
  });
});
