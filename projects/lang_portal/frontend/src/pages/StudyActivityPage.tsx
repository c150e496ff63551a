import { ActivityThumbnail } from "../components/ActivityThumbnail";
import { AsyncContent } from "../components/AsyncContent";
import { PageHeader } from "../components/PageHeader";
import { SessionsTable } from "../components/SessionsTable";
import { ButtonLink } from "../components/ui/button";
import { Card, CardContent, TitledCard } from "../components/ui/card";
import { useApiData } from "../hooks/useApiData";
import { useNumericParam } from "../hooks/useNumericParam";
import { NotFoundPage } from "./NotFoundPage";

const TRAIL = [
  { label: "Dashboard", to: "/dashboard" },
  { label: "Study Activities", to: "/study_activities" },
];

function StudyActivityDetails({ id }: { id: number }) {
  const data = useApiData((api, signal) => api.studyActivities.get(id, signal), [id]);
  const title = data.status === "ready" ? data.data.name : "Study activity";
  return (
    <>
      <PageHeader
        title={title}
        trail={TRAIL}
        actions={data.status === "ready" && <ButtonLink to={`/study_activities/${id}/launch`}>Launch</ButtonLink>}
      />
      <AsyncContent data={data}>
        {(activity) => (
          <Card className="mb-6">
            <CardContent className="grid gap-4 pt-4 sm:grid-cols-[16rem_1fr] sm:pt-5">
              <ActivityThumbnail activity={activity} />
              <div className="flex flex-col gap-2">
                <p>{activity.description || "No description."}</p>
                <p className="text-sm text-muted-foreground">
                  Opens at <span className="break-all">{activity.url}</span>
                </p>
              </div>
            </CardContent>
          </Card>
        )}
      </AsyncContent>
      <TitledCard title="Study sessions">
        <SessionsTable
          listKey={`study_activities/${id}/study_sessions`}
          load={(api, query, signal) => api.studyActivities.sessions(id, query, signal)}
          caption="Study sessions of this activity"
          empty="No sessions with this activity yet."
        />
      </TitledCard>
    </>
  );
}

export function StudyActivityPage() {
  const id = useNumericParam();
  return id === null ? <NotFoundPage /> : <StudyActivityDetails id={id} />;
}
