import { useEffect, useRef, useState, type FormEvent } from "react";
import { ApiError } from "@app-dw/spa-kit/api/client";
import { learnerMessage } from "@app-dw/spa-kit/lib/errors";
import { useServices } from "@app-dw/spa-kit/services";
import { Alert } from "@app-dw/spa-kit/ui/alert";
import { Button } from "@app-dw/spa-kit/ui/button";
import { cn } from "@app-dw/spa-kit/lib/cn";
import type { ChatMessage, Haiku } from "../api/types";
import { useApi } from "../services";

export const MAX_MESSAGE_CHARS = 1000;

interface Bubble {
  key: string;
  role: "user" | "assistant";
  text: string;
}

/** What a learner is told when a turn fails: the guardrail's own words, or the usual advice. */
function turnError(error: Error, appName: string): { title: string; text: string } {
  if (error instanceof ApiError && error.status === 422) {
    return { title: "The content filter stopped this message", text: `${error.message} Try other words.` };
  }
  return { title: "No answer this time", text: learnerMessage(error, appName) };
}

/** The conversation: what was said, the answer as it is written, and the box to say more. */
export function Chat({
  haikuId,
  history,
  enabled,
  onTurn,
}: {
  haikuId: string;
  history: ChatMessage[];
  enabled: boolean;
  onTurn: (haiku: Haiku) => void;
}) {
  const api = useApi();
  const { appName } = useServices();
  const [bubbles, setBubbles] = useState<Bubble[]>(() =>
    history.map((item) => ({ key: `c${item.chat_id}`, role: item.role, text: item.message })),
  );
  const [draft, setDraft] = useState("");
  const [answer, setAnswer] = useState<string | null>(null);
  const [error, setError] = useState<{ title: string; text: string } | null>(null);
  const ended = useRef<HTMLDivElement>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => {
    // A block body: newer browsers' scrollIntoView returns a promise, which React would take for a cleanup.
    ended.current?.scrollIntoView?.({ block: "nearest" });
  }, [bubbles, answer]);

  const send = async (event: FormEvent) => {
    event.preventDefault();
    const message = draft.trim();
    if (!message || answer !== null) return;
    setError(null);
    setAnswer("");
    abort.current = new AbortController();
    try {
      const turn = await api.chat(haikuId, message, {
        onText: (text) => setAnswer((written) => (written ?? "") + text),
        signal: abort.current.signal,
      });
      setBubbles((said) => [
        ...said,
        { key: `u${turn.chat_id}`, role: "user", text: message },
        { key: `c${turn.chat_id}`, role: "assistant", text: turn.message },
      ]);
      setDraft("");
      onTurn(turn.haiku);
    } catch (caught) {
      if (abort.current.signal.aborted) return;
      setError(turnError(caught instanceof Error ? caught : new Error(String(caught)), appName));
    } finally {
      setAnswer(null);
    }
  };

  return (
    <section aria-labelledby="chat-heading" className="flex flex-col gap-3">
      <h2 id="chat-heading" className="text-lg font-semibold">
        Chat
      </h2>
      <ol className="flex flex-col gap-2" aria-label="Conversation" aria-live="polite">
        {bubbles.length === 0 && answer === null && (
          <li className="text-sm text-muted-foreground">
            Tell the assistant what your haiku should be about: a season, a place, a feeling.
          </li>
        )}
        {bubbles.map((bubble) => (
          <MessageBubble key={bubble.key} role={bubble.role} text={bubble.text} />
        ))}
        {answer !== null && <MessageBubble role="assistant" text={answer || "…"} writing />}
      </ol>
      <div ref={ended} />
      {error && (
        <Alert tone="error" title={error.title}>
          {error.text}
        </Alert>
      )}
      {enabled ? (
        <form onSubmit={(event) => void send(event)} className="flex flex-col gap-2">
          <label htmlFor="chat-message" className="text-sm font-medium">
            Your message
          </label>
          <textarea
            id="chat-message"
            value={draft}
            maxLength={MAX_MESSAGE_CHARS}
            rows={3}
            onChange={(event) => setDraft(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === "Enter" && !event.shiftKey) void send(event);
            }}
            className="rounded-md border bg-card p-2"
            disabled={answer !== null}
          />
          <div className="flex items-center justify-between text-sm text-muted-foreground">
            <span>
              {draft.length}/{MAX_MESSAGE_CHARS}
            </span>
            <Button type="submit" disabled={answer !== null || !draft.trim()}>
              {answer !== null ? "Writing…" : "Send"}
            </Button>
          </div>
        </form>
      ) : (
        <Alert tone="info">The chat is not available on this installation.</Alert>
      )}
    </section>
  );
}

function MessageBubble({
  role,
  text,
  writing = false,
}: {
  role: "user" | "assistant";
  text: string;
  writing?: boolean;
}) {
  return (
    <li
      className={cn(
        "max-w-[85%] rounded-lg px-3 py-2 whitespace-pre-wrap",
        role === "user" ? "self-end bg-primary text-primary-foreground" : "self-start border bg-card",
      )}
      aria-busy={writing || undefined}
    >
      <span className="sr-only">{role === "user" ? "You: " : "Assistant: "}</span>
      {text}
    </li>
  );
}
