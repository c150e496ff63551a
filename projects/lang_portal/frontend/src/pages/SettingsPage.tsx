import { useState } from "react";
import type { ResetResult } from "../api/types";
import { PageHeader } from "../components/PageHeader";
import { Alert } from "../components/ui/alert";
import { Button } from "../components/ui/button";
import { Card, CardContent, TitledCard } from "../components/ui/card";
import { ConfirmDialog } from "../components/ui/dialog";
import { cn } from "../lib/cn";
import { useApi } from "../services";
import { useTheme, type ThemePreference } from "../theme";

const THEMES: { value: ThemePreference; label: string }[] = [
  { value: "light", label: "Light" },
  { value: "dark", label: "Dark" },
  { value: "system", label: "Same as my device" },
];

function ThemeCard() {
  const { theme, setTheme } = useTheme();
  return (
    <Card>
      <CardContent className="pt-4 sm:pt-5">
        <fieldset>
          <legend className="mb-3 text-lg font-semibold">Theme</legend>
          <div className="flex flex-wrap gap-2">
            {THEMES.map((option) => (
              <label
                key={option.value}
                className={cn(
                  "flex cursor-pointer items-center gap-2 rounded-md border px-3 py-2 text-sm has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-ring",
                  theme === option.value && "border-primary bg-accent",
                )}
              >
                <input
                  type="radio"
                  name="theme"
                  value={option.value}
                  checked={theme === option.value}
                  onChange={() => setTheme(option.value)}
                  className="accent-primary"
                />
                {option.label}
              </label>
            ))}
          </div>
        </fieldset>
      </CardContent>
    </Card>
  );
}

type ResetKind = "history" | "full";

const RESETS: Record<ResetKind, { title: string; description: string; button: string; confirm: string }> = {
  history: {
    title: "Reset study history",
    description: "Deletes all your study sessions and word reviews. Words and groups stay.",
    button: "Reset history",
    confirm: "Your study sessions and every recorded answer will be deleted. This cannot be undone.",
  },
  full: {
    title: "Full reset",
    description: "Returns your data to the starting state: your history and the groups you imported are deleted.",
    button: "Full reset",
    confirm:
      "Your study history and every group you imported will be deleted, leaving only the shared starting vocabulary. This cannot be undone.",
  },
};

function ResetCard() {
  const api = useApi();
  const [pending, setPending] = useState<ResetKind | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ tone: "success" | "error"; message: string } | null>(null);

  const run = async (kind: ResetKind) => {
    setBusy(true);
    try {
      const result: ResetResult =
        kind === "history" ? await api.settings.resetHistory() : await api.settings.fullReset();
      setOutcome({ tone: "success", message: result.message });
    } catch (error) {
      setOutcome({ tone: "error", message: error instanceof Error ? error.message : String(error) });
    } finally {
      setBusy(false);
      setPending(null);
    }
  };

  return (
    <TitledCard title="Reset data" contentClassName="flex flex-col gap-4">
      {(Object.keys(RESETS) as ResetKind[]).map((kind) => (
        <div key={kind} className="flex flex-col gap-2 sm:flex-row sm:items-center sm:justify-between">
          <div>
            <h3 className="font-medium">{RESETS[kind].title}</h3>
            <p className="text-sm text-muted-foreground">{RESETS[kind].description}</p>
          </div>
          <Button
            variant="destructive"
            onClick={() => {
              setOutcome(null);
              setPending(kind);
            }}
          >
            {RESETS[kind].button}
          </Button>
        </div>
      ))}
      {outcome && <Alert tone={outcome.tone}>{outcome.message}</Alert>}
      <ConfirmDialog
        open={pending !== null}
        title={pending ? `${RESETS[pending].title}?` : ""}
        confirmLabel={pending ? RESETS[pending].button : ""}
        busy={busy}
        onConfirm={() => pending && void run(pending)}
        onCancel={() => setPending(null)}
      >
        {pending && RESETS[pending].confirm}
      </ConfirmDialog>
    </TitledCard>
  );
}

export function SettingsPage() {
  return (
    <>
      <PageHeader title="Settings" trail={[{ label: "Dashboard", to: "/dashboard" }]} />
      <div className="flex max-w-3xl flex-col gap-4">
        <ThemeCard />
        <ResetCard />
      </div>
    </>
  );
}
