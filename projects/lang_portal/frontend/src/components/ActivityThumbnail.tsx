import { useState } from "react";
import type { StudyActivity } from "../api/types";
import { cn } from "@app-dw/spa-kit/lib/cn";

/** The activity's thumbnail, or its initial on a tinted tile when there is none or it fails. */
export function ActivityThumbnail({ activity, className }: { activity: StudyActivity; className?: string }) {
  const [failed, setFailed] = useState(false);
  const frame = cn("aspect-video w-full overflow-hidden rounded-md bg-accent", className);
  if (!activity.thumbnail_url || failed) {
    return (
      <div className={cn(frame, "flex items-center justify-center")} aria-hidden="true">
        <span className="text-4xl font-bold text-primary">{activity.name.charAt(0)}</span>
      </div>
    );
  }
  return (
    <div className={frame}>
      <img src={activity.thumbnail_url} alt="" onError={() => setFailed(true)} className="h-full w-full object-cover" />
    </div>
  );
}
