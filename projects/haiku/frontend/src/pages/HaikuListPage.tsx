import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { AsyncContent } from "@app-dw/spa-kit/components/AsyncContent";
import { PageHeader } from "@app-dw/spa-kit/components/PageHeader";
import { formatDateTime } from "@app-dw/spa-kit/lib/format";
import { learnerMessage } from "@app-dw/spa-kit/lib/errors";
import { useServices } from "@app-dw/spa-kit/services";
import { Alert } from "@app-dw/spa-kit/ui/alert";
import { Button } from "@app-dw/spa-kit/ui/button";
import { DeleteHaiku } from "../components/DeleteHaiku";
import { StatusBadge } from "../components/StatusBadge";
import { haikuTitle } from "../lib/titles";
import { useApi, useApiData } from "../services";

function NewHaikuButton() {
  const api = useApi();
  const { appName } = useServices();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const haiku = await api.start();
      navigate(`/haiku/${haiku.haiku_id}`);
    } catch (caught) {
      setError(caught instanceof Error ? learnerMessage(caught, appName) : String(caught));
      setBusy(false);
    }
  };
  return (
    <div className="flex flex-col items-end gap-2">
      <Button onClick={() => void start()} disabled={busy}>
        {busy ? "Starting…" : "New haiku"}
      </Button>
      {error && <Alert tone="error">{error}</Alert>}
    </div>
  );
}

export function HaikuListPage() {
  const haikus = useApiData((api, signal) => api.list(signal), []);
  return (
    <>
      <PageHeader title="My haiku" actions={<NewHaikuButton />} />
      <AsyncContent
        data={haikus}
        isEmpty={(list) => list.items.length === 0}
        empty="No haiku yet. Start one: the assistant helps you find the words, then it is translated, illustrated and read aloud in Japanese."
      >
        {(list) => (
          <ul className="flex flex-col gap-3" aria-label="Haiku">
            {list.items.map((haiku) => (
              <li key={haiku.haiku_id} className="flex flex-wrap items-center gap-3 rounded-lg border bg-card p-4">
                <div className="min-w-0 flex-1">
                  <Link to={`/haiku/${haiku.haiku_id}`} className="font-medium underline-offset-2 hover:underline">
                    {haikuTitle(haiku)}
                  </Link>
                  <p className="text-sm text-muted-foreground">
                    {formatDateTime(haiku.created_at)}
                    {haiku.japanese_lines[0] && (
                      <>
                        {" · "}
                        <span lang="ja" className="font-japanese">
                          {haiku.japanese_lines[0]}
                        </span>
                      </>
                    )}
                  </p>
                </div>
                <StatusBadge status={haiku.status} />
                <DeleteHaiku
                  id={haiku.haiku_id}
                  title={haikuTitle(haiku)}
                  onDeleted={haikus.status === "ready" ? haikus.reload : () => {}}
                />
              </li>
            ))}
          </ul>
        )}
      </AsyncContent>
    </>
  );
}
