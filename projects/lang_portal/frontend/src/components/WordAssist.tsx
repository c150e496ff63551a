import { useState, type ReactNode } from "react";
import { ApiError } from "../api/client";
import type { LangPortalApi } from "../api/langPortal";
import type { Capabilities, ExampleSentence, MediaLink } from "../api/types";
import { useApiData } from "../hooks/useApiData";
import { learnerMessage } from "../lib/errors";
import { useApi } from "../services";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";

type Requested<T> =
  { status: "idle" } | { status: "loading" } | { status: "ready"; value: T } | { status: "failed"; error: Error };

/** An assistive endpoint fetched only when asked: each call may cost an AWS request. */
function useOnRequest<T>(fetcher: (api: LangPortalApi) => Promise<T>) {
  const api = useApi();
  const [state, setState] = useState<Requested<T>>({ status: "idle" });
  const request = async (): Promise<T | null> => {
    if (state.status === "loading") return null;
    setState({ status: "loading" });
    try {
      const value = await fetcher(api);
      setState({ status: "ready", value });
      return value;
    } catch (error) {
      setState({ status: "failed", error: error instanceof Error ? error : new Error(String(error)) });
      return null;
    }
  };
  return { state, request };
}

/** What went wrong, in a learner's words (the API's detail, e.g. a missing setting, is for operators). */
function RequestFailure({ thing, error }: { thing: string; error: Error }) {
  const status = error instanceof ApiError ? error.status : -1;
  const [title, text] =
    status === 422
      ? [`No ${thing} for this word`, `The content filter held the ${thing} back. Try another word.`]
      : status === 502
        ? [`The ${thing} did not come out right`, "Try again."]
        : status >= 500
          ? [`The ${thing} is not available right now`, "Try again in a little while."]
          : [`The ${thing} could not be loaded`, learnerMessage(error)];
  return (
    <Alert tone={status === 422 || status >= 500 ? "info" : "error"} title={title}>
      <p className="mt-1">{text}</p>
    </Alert>
  );
}

/** A button that stays focusable while its request runs (a disabled button would drop the focus). */
function AssistButton({ busy, onClick, children }: { busy: boolean; onClick: () => void; children: ReactNode }) {
  return (
    <Button variant="outline" aria-disabled={busy || undefined} onClick={busy ? undefined : onClick}>
      {children}
    </Button>
  );
}

const FEATURE_NAMES: Record<keyof Capabilities["features"], string> = {
  word_audio: "pronunciation audio",
  word_picture: "pictures",
  example_sentence: "example sentences",
};

function listed(names: string[]): string {
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

export function WordAssist({ wordId, english }: { wordId: number; english: string }) {
  const capabilities = useApiData((api, signal) => api.capabilities(signal), []);
  const audio = useOnRequest<MediaLink>((api) => api.words.audio(wordId));
  const image = useOnRequest<MediaLink>((api) => api.words.picture(wordId));
  const example = useOnRequest<ExampleSentence>((api) => api.words.exampleSentence(wordId));
  const [playbackError, setPlaybackError] = useState<string | null>(null);

  if (capabilities.status === "loading") return null;
  // Without an answer, offer everything: each endpoint still says for itself when it cannot help.
  const offered: Capabilities["features"] =
    capabilities.status === "ready"
      ? capabilities.data.features
      : { word_audio: true, word_picture: true, example_sentence: true };
  const missing = (Object.keys(FEATURE_NAMES) as (keyof typeof FEATURE_NAMES)[]).filter((key) => !offered[key]);

  const playAudio = async () => {
    setPlaybackError(null);
    // Asked for each time: the presigned URL expires, and the API answers from its S3 cache.
    const link = await audio.request();
    if (!link) return;
    try {
      await new Audio(link.url).play();
    } catch {
      setPlaybackError("Your browser could not play the pronunciation audio.");
    }
  };

  return (
    <div className="flex flex-col gap-3">
      {missing.length < 3 && (
        <div className="flex flex-wrap gap-2">
          {offered.word_audio && (
            <AssistButton busy={audio.state.status === "loading"} onClick={() => void playAudio()}>
              <span aria-hidden="true">▶</span>
              {audio.state.status === "loading" ? "Loading audio…" : "Play pronunciation"}
            </AssistButton>
          )}
          {offered.word_picture && (
            // Once shown the picture stays; the button stays too (inert), so the focus does not fall away.
            <AssistButton
              busy={image.state.status === "loading" || image.state.status === "ready"}
              onClick={() => void image.request()}
            >
              {image.state.status === "loading" ? "Loading picture…" : "Show picture"}
            </AssistButton>
          )}
          {offered.example_sentence && (
            <AssistButton busy={example.state.status === "loading"} onClick={() => void example.request()}>
              {example.state.status === "loading" ? "Writing example…" : "Example sentence"}
            </AssistButton>
          )}
        </div>
      )}
      {missing.length > 0 && (
        <p className="text-sm text-muted-foreground">
          {listed(missing.map((key) => FEATURE_NAMES[key])).replace(/^./, (first) => first.toUpperCase())}{" "}
          {missing.length === 1 && missing[0] === "word_audio" ? "is" : "are"} not offered on this Lang Portal.
        </p>
      )}
      {audio.state.status === "failed" && <RequestFailure thing="pronunciation audio" error={audio.state.error} />}
      {playbackError && <Alert tone="error">{playbackError}</Alert>}
      {image.state.status === "failed" && <RequestFailure thing="picture" error={image.state.error} />}
      {image.state.status === "ready" && (
        <img
          src={image.state.value.url}
          alt={`Picture of “${english}”`}
          className="max-h-72 w-auto self-start rounded-lg border"
        />
      )}
      {example.state.status === "failed" && <RequestFailure thing="example sentence" error={example.state.error} />}
      {example.state.status === "ready" && (
        <blockquote className="rounded-lg border bg-muted/50 p-3">
          <p lang="ja" className="font-japanese text-lg">
            {example.state.value.japanese}
          </p>
          <p className="text-sm text-muted-foreground">{example.state.value.romaji}</p>
          <p className="text-sm">{example.state.value.english}</p>
        </blockquote>
      )}
    </div>
  );
}
