import type { HaikuStatus } from "../api/types";
import { Badge } from "@app-dw/spa-kit/ui/badge";

const LABELS: Record<HaikuStatus, string> = {
  new: "Drafting",
  "in progress": "Making media…",
  completed: "Completed",
  failed: "Failed",
};

export function StatusBadge({ status }: { status: HaikuStatus }) {
  return (
    <Badge className={status === "failed" ? "border-destructive text-destructive" : undefined}>{LABELS[status]}</Badge>
  );
}
