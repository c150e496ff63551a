import { useState, type FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router";
import type { StudyActivity } from "../api/types";
import { AsyncContent } from "../components/AsyncContent";
import { PageHeader } from "../components/PageHeader";
import { Alert } from "../components/ui/alert";
import { Button, ButtonLink } from "../components/ui/button";
import { Card, CardContent } from "../components/ui/card";
import { useApiData } from "../hooks/useApiData";
import { useNumericParam } from "../hooks/useNumericParam";
import { activityLaunchUrl } from "../lib/activityUrl";
import { learnerMessage } from "../lib/errors";
import { useApi } from "../services";
import { NotFoundPage } from "./NotFoundPage";

/** Router state the session page reads to offer the activity link again (popup blockers). */
export interface LaunchedState {
  launchedUrl: string;
  activityName: string;
}

function LaunchForm({ activity }: { activity: StudyActivity }) {
  const api = useApi();
  const navigate = useNavigate();
  const groups = useApiData((client, signal) => client.groups.listAll(signal), []);
  // A group chosen before (?group_id=, from "Study this group" or "Continue") is preselected.
  const [groupId, setGroupId] = useState(useSearchParams()[0].get("group_id") ?? "");
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const launch = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitting(true);
    setError(null);
    try {
      const session = await api.studyActivities.start(Number(groupId), activity.id);
      const launchedUrl = activityLaunchUrl(activity.url, session.group_id, session.id, window.location.origin);
      window.open(launchedUrl, "_blank", "noopener,noreferrer");
      const state: LaunchedState = { launchedUrl, activityName: activity.name };
      navigate(`/study_sessions/${session.id}`, { state });
    } catch (caught) {
      setError(caught instanceof Error ? learnerMessage(caught) : String(caught));
      setSubmitting(false);
    }
  };

  return (
    <AsyncContent data={groups} isEmpty={(items) => items.length === 0} empty="There are no word groups to study yet.">
      {(items) => {
        const chosen = items.some((group) => String(group.id) === groupId) ? groupId : "";
        return (
          <form onSubmit={launch} className="flex max-w-md flex-col gap-4">
            <div className="flex flex-col gap-1">
              <label htmlFor="launch-group" className="text-sm font-medium">
                Word group
              </label>
              <select
                id="launch-group"
                required
                value={chosen}
                onChange={(event) => setGroupId(event.target.value)}
                className="h-10 rounded-md border bg-card px-3"
              >
                <option value="" disabled>
                  Choose a group…
                </option>
                {items.map((group) => (
                  <option key={group.id} value={group.id}>
                    {group.name} ({group.word_count} words)
                  </option>
                ))}
              </select>
            </div>
            {error && (
              <Alert tone="error" title="The session could not be started">
                {error}
              </Alert>
            )}
            <div className="flex flex-wrap gap-2">
              <Button type="submit" disabled={submitting || chosen === ""}>
                {submitting ? "Starting…" : "Launch now"}
              </Button>
              <ButtonLink variant="outline" to={`/study_activities/${activity.id}`}>
                Cancel
              </ButtonLink>
            </div>
            <p className="text-sm text-muted-foreground">
              {activity.name} opens in a new tab; this tab shows the new study session.
            </p>
          </form>
        );
      }}
    </AsyncContent>
  );
}

function Launch({ id }: { id: number }) {
  const activity = useApiData((api, signal) => api.studyActivities.get(id, signal), [id]);
  const name = activity.status === "ready" ? activity.data.name : "Study activity";
  return (
    <>
      <PageHeader
        title={`Launch ${name}`}
        trail={[
          { label: "Dashboard", to: "/dashboard" },
          { label: "Study Activities", to: "/study_activities" },
          { label: name, to: `/study_activities/${id}` },
        ]}
      />
      <Card>
        <CardContent className="pt-4 sm:pt-5">
          <AsyncContent data={activity}>{(loaded) => <LaunchForm activity={loaded} />}</AsyncContent>
        </CardContent>
      </Card>
    </>
  );
}

export function StudyActivityLaunchPage() {
  const id = useNumericParam();
  return id === null ? <NotFoundPage /> : <Launch id={id} />;
}
