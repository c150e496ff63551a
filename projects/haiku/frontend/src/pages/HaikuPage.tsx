import { useEffect, useState } from "react";
import { useNavigate } from "react-router";
import { AsyncContent, LoadingState } from "@app-dw/spa-kit/components/AsyncContent";
import { PageHeader } from "@app-dw/spa-kit/components/PageHeader";
import { learnerMessage } from "@app-dw/spa-kit/lib/errors";
import { useServices } from "@app-dw/spa-kit/services";
import { Alert } from "@app-dw/spa-kit/ui/alert";
import { Button } from "@app-dw/spa-kit/ui/button";
import type { ChatMessage, Capabilities, Haiku } from "../api/types";
import { Chat } from "../components/Chat";
import { DeleteHaiku } from "../components/DeleteHaiku";
import { HaikuView } from "../components/HaikuView";
import { StatusBadge } from "../components/StatusBadge";
import { haikuTitle } from "../lib/titles";
import { useApi, useApiData } from "../services";
import { useParams } from "react-router";

/** How often the page asks whether the media are made. */
export const POLL_MS = 1500;

export function HaikuPage() {
  const id = useParams().id ?? "";
  const loaded = useApiData(
    async (api, signal) => {
      const [haiku, history, capabilities] = await Promise.all([
        api.get(id, signal),
        api.history(id, signal),
        api.capabilities(signal),
      ]);
      return { haiku, history, capabilities };
    },
    [id],
  );
  return (
    <AsyncContent
      data={loaded}
      notFound={<p>This haiku does not exist, or it is not yours. It may have been deleted.</p>}
    >
      {({ haiku, history, capabilities }) => (
        <HaikuDetail key={haiku.haiku_id} initial={haiku} history={history} capabilities={capabilities} />
      )}
    </AsyncContent>
  );
}

function HaikuDetail({
  initial,
  history,
  capabilities,
}: {
  initial: Haiku;
  history: ChatMessage[];
  capabilities: Capabilities;
}) {
  const api = useApi();
  const { appName } = useServices();
  const navigate = useNavigate();
  const [haiku, setHaiku] = useState(initial);
  const [accepting, setAccepting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const title = haikuTitle(haiku);
  const editable = haiku.status === "new" || haiku.status === "failed";

  useEffect(() => {
    if (haiku.status !== "in progress") return;
    const controller = new AbortController();
    const timer = setInterval(() => {
      api.get(haiku.haiku_id, controller.signal).then(setHaiku, () => {
        /* the next poll tries again */
      });
    }, POLL_MS);
    return () => {
      clearInterval(timer);
      controller.abort();
    };
  }, [api, haiku.haiku_id, haiku.status]);

  const accept = async () => {
    setAccepting(true);
    setError(null);
    try {
      setHaiku(await api.accept(haiku.haiku_id));
    } catch (caught) {
      setError(caught instanceof Error ? learnerMessage(caught, appName) : String(caught));
    } finally {
      setAccepting(false);
    }
  };

  return (
    <>
      <PageHeader
        title={title}
        trail={[{ label: "My haiku", to: "/" }]}
        actions={
          <>
            <StatusBadge status={haiku.status} />
            <DeleteHaiku id={haiku.haiku_id} title={title} onDeleted={() => navigate("/")} />
          </>
        }
      />
      {haiku.status === "completed" && <HaikuView haiku={haiku} />}
      {haiku.status === "in progress" && (
        <div className="flex flex-col gap-3">
          <Alert tone="info" title="Making your haiku">
            Translating each line to Japanese, painting a picture for each and recording its reading. This takes about
            half a minute; you can leave this page and come back.
          </Alert>
          <LoadingState label="Making the Japanese lines, pictures and audio…" rows={3} />
        </div>
      )}
      {editable && (
        <div className="grid gap-6 md:grid-cols-[2fr_1fr]">
          <Chat haikuId={haiku.haiku_id} history={history} enabled={capabilities.features.chat} onTurn={setHaiku} />
          <aside aria-labelledby="proposal-heading" className="flex flex-col gap-3 rounded-lg border bg-card p-4">
            <h2 id="proposal-heading" className="text-lg font-semibold">
              Your haiku
            </h2>
            {haiku.status === "failed" && (
              <Alert tone="error" title="The media could not be made">
                {haiku.error_message ?? "Something went wrong."} You can accept it again.
              </Alert>
            )}
            {haiku.english_lines.length === 3 ? (
              <p className="text-lg leading-relaxed whitespace-pre-line">{haiku.english_lines.join("\n")}</p>
            ) : (
              <p className="text-sm text-muted-foreground">The haiku the assistant proposes appears here.</p>
            )}
            {error && <Alert tone="error">{error}</Alert>}
            <Button
              onClick={() => void accept()}
              disabled={accepting || haiku.english_lines.length !== 3 || !capabilities.features.media}
            >
              {accepting ? "Accepting…" : haiku.status === "failed" ? "Accept again" : "Accept this haiku"}
            </Button>
            {!capabilities.features.media && (
              <p className="text-sm text-muted-foreground">Making media is not available on this installation.</p>
            )}
          </aside>
        </div>
      )}
    </>
  );
}
