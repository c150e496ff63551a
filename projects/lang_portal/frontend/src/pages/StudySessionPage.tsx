import { Link, useLocation } from "react-router";
import { AsyncContent } from "../components/AsyncContent";
import { PageHeader } from "../components/PageHeader";
import { WordsTable } from "../components/WordsTable";
import { Alert } from "../components/ui/alert";
import { TitledCard } from "../components/ui/card";
import { useApiData } from "../hooks/useApiData";
import { useNumericParam } from "../hooks/useNumericParam";
import { formatDateTime } from "../lib/format";
import type { ReactNode } from "react";
import { NotFoundPage } from "./NotFoundPage";
import type { LaunchedState } from "./StudyActivityLaunchPage";

function LaunchedNotice({ state }: { state: LaunchedState }) {
  return (
    <Alert tone="success" title="Study session started" className="mb-4">
      <p className="mt-1">
        {state.activityName} opened in a new tab. If it did not,{" "}
        <a
          href={state.launchedUrl}
          target="_blank"
          rel="noopener noreferrer"
          className="font-medium text-primary underline"
        >
          open {state.activityName}
        </a>
        .
      </p>
    </Alert>
  );
}

function StudySessionDetails({ id }: { id: number }) {
  const launched = useLocation().state as LaunchedState | null;
  const data = useApiData((api, signal) => api.studySessions.get(id, signal), [id]);
  return (
    <>
      <PageHeader
        title={`Study session #${id}`}
        trail={[
          { label: "Dashboard", to: "/dashboard" },
          { label: "Study Sessions", to: "/study_sessions" },
        ]}
      />
      {launched?.launchedUrl && <LaunchedNotice state={launched} />}
      <TitledCard title="Details" className="mb-6">
        <AsyncContent
          data={data}
          notFound={
            <p>
              There is no study session {id}: it may have been removed by a reset.{" "}
              <Link to="/study_sessions" className="font-medium text-primary underline">
                See your study sessions
              </Link>
            </p>
          }
        >
          {(session) => {
            const answered = session.review_items_count > 0;
            const details: [string, ReactNode][] = [
              [
                "Activity",
                <Link to={`/study_activities/${session.study_activity_id}`} className="text-primary hover:underline">
                  {session.activity_name}
                </Link>,
              ],
              [
                "Group",
                <Link to={`/groups/${session.group_id}`} className="text-primary hover:underline">
                  {session.group_name}
                </Link>,
              ],
              ["Score", answered ? `${session.correct_count}/${session.review_items_count} correct` : "No answers yet"],
              ["Started", formatDateTime(session.start_time)],
              // The API's end time is the last answer's; with none yet it would just repeat the start.
              ["Last answer", answered ? formatDateTime(session.end_time) : "—"],
            ];
            return (
              <dl className="grid gap-3 text-sm sm:grid-cols-3">
                {details.map(([label, value]) => (
                  <div key={label}>
                    <dt className="text-muted-foreground">{label}</dt>
                    <dd className="font-medium">{value}</dd>
                  </div>
                ))}
              </dl>
            );
          }}
        </AsyncContent>
      </TitledCard>
      {data.status !== "error" && (
        <TitledCard title="Words reviewed">
          <WordsTable
            listKey={`study_sessions/${id}/words`}
            load={(api, query, signal) => api.studySessions.words(id, query, signal)}
            caption="Words reviewed in this session"
            empty="No words reviewed in this session yet."
          />
        </TitledCard>
      )}
    </>
  );
}

export function StudySessionPage() {
  const id = useNumericParam();
  return id === null ? <NotFoundPage /> : <StudySessionDetails id={id} />;
}
