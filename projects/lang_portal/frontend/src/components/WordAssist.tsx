import { useState } from "react";
import { ApiError } from "../api/client";
import type { LangPortalApi } from "../api/langPortal";
import type { ExampleSentence, MediaLink } from "../api/types";
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

/** 503 is local mode (or AWS down): say so plainly instead of showing a failure. */
function RequestFailure({ feature, error }: { feature: string; error: Error }) {
  if (error instanceof ApiError && error.status === 503) {
    return (
      <Alert tone="info" title={`${feature} is not available right now`}>
        <p className="mt-1">{error.message}</p>
      </Alert>
    );
  }
  return (
    <Alert tone="error" title={`${feature} failed`}>
      <p className="mt-1">{error.message}</p>
    </Alert>
  );
}

export function WordAssist({ wordId, english }: { wordId: number; english: string }) {
  const audio = useOnRequest<MediaLink>((api) => api.words.audio(wordId));
  const image = useOnRequest<MediaLink>((api) => api.words.picture(wordId));
  const example = useOnRequest<ExampleSentence>((api) => api.words.exampleSentence(wordId));
  const [playbackError, setPlaybackError] = useState<string | null>(null);

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
      <div className="flex flex-wrap gap-2">
        <Button variant="outline" onClick={playAudio} disabled={audio.state.status === "loading"}>
          <span aria-hidden="true">▶</span>
          {audio.state.status === "loading" ? "Loading audio…" : "Play pronunciation"}
        </Button>
        <Button
          variant="outline"
          onClick={image.request}
          disabled={image.state.status === "loading" || image.state.status === "ready"}
        >
          {image.state.status === "loading" ? "Loading picture…" : "Show picture"}
        </Button>
        <Button variant="outline" onClick={example.request} disabled={example.state.status === "loading"}>
          {example.state.status === "loading" ? "Writing example…" : "Example sentence"}
        </Button>
      </div>
      {audio.state.status === "failed" && <RequestFailure feature="Pronunciation audio" error={audio.state.error} />}
      {playbackError && <Alert tone="error">{playbackError}</Alert>}
      {image.state.status === "failed" && <RequestFailure feature="The picture" error={image.state.error} />}
      {image.state.status === "ready" && (
        <img
          src={image.state.value.url}
          alt={`Picture of “${english}”`}
          className="max-h-72 w-auto self-start rounded-lg border"
        />
      )}
      {example.state.status === "failed" && (
        <RequestFailure feature="The example sentence" error={example.state.error} />
      )}
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
