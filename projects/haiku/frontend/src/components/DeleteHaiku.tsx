import { useState } from "react";
import { learnerMessage } from "@app-dw/spa-kit/lib/errors";
import { useServices } from "@app-dw/spa-kit/services";
import { Alert } from "@app-dw/spa-kit/ui/alert";
import { Button } from "@app-dw/spa-kit/ui/button";
import { ConfirmDialog } from "@app-dw/spa-kit/ui/dialog";
import { useApi } from "../services";

/** Delete with confirmation: the haiku, its chat and its media. */
export function DeleteHaiku({ id, title, onDeleted }: { id: string; title: string; onDeleted: () => void }) {
  const api = useApi();
  const { appName } = useServices();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.remove(id);
      setOpen(false);
      onDeleted();
    } catch (caught) {
      setError(caught instanceof Error ? learnerMessage(caught, appName) : String(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button variant="outline" size="sm" onClick={() => setOpen(true)} aria-label={`Delete “${title}”`}>
        Delete
      </Button>
      <ConfirmDialog
        open={open}
        title="Delete this haiku?"
        confirmLabel="Delete"
        busy={busy}
        onConfirm={() => void remove()}
        onCancel={() => setOpen(false)}
      >
        <p>“{title}”, its chat, pictures and audio are deleted for good.</p>
        {error && (
          <Alert tone="error" className="mt-3">
            {error}
          </Alert>
        )}
      </ConfirmDialog>
    </>
  );
}
