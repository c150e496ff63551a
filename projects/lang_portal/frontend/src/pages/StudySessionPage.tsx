import { useLocation } from "react-router";
import { AsyncContent } from "../components/AsyncContent";
import { PageHeader } from "../components/PageHeader";
import { WordsTable } from "../components/WordsTable";
import { Alert } from "../components/ui/alert";
import { Card, CardContent, CardHeader, CardTitle } from "../components/ui/card";
import { useApiData } from "../hooks/useApiData";
import { useNumericParam } from "../hooks/useNumericParam";
import { formatDateTime } from "../lib/format";
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
      <Card className="mb-6" aria-labelledby="session-details-title">
        <CardHeader>
          <CardTitle id="session-details-title">Details</CardTitle>
        </CardHeader>
        <CardContent>
          <AsyncContent data={data}>
            {(session) => (
              <dl className="grid gap-3 text-sm sm:grid-cols-3">
                {[
                  ["Activity", session.activity_name],
                  ["Group", session.group_name],
                  ["Reviews", String(session.review_items_count)],
                  ["Started", formatDateTime(session.start_time)],
                  ["Ended", formatDateTime(session.end_time)],
                ].map(([label, value]) => (
                  <div key={label}>
                    <dt className="text-muted-foreground">{label}</dt>
                    <dd className="font-medium">{value}</dd>
                  </div>
                ))}
              </dl>
            )}
          </AsyncContent>
        </CardContent>
      </Card>
      <Card aria-labelledby="session-words-title">
        <CardHeader>
          <CardTitle id="session-words-title">Words reviewed</CardTitle>
        </CardHeader>
        <CardContent>
          <WordsTable
            listKey={`study_sessions/${id}/words`}
            load={(api, query, signal) => api.studySessions.words(id, query, signal)}
            caption="Words reviewed in this session"
            empty="No words reviewed in this session yet."
          />
        </CardContent>
      </Card>
    </>
  );
}

export function StudySessionPage() {
  const id = useNumericParam();
  return id === null ? <NotFoundPage /> : <StudySessionDetails id={id} />;
}
