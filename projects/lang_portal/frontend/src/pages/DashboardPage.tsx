import { Link } from "react-router";
import { AsyncContent, EmptyState } from "../components/AsyncContent";
import { PageHeader } from "../components/PageHeader";
import { ButtonLink } from "../components/ui/button";
import { TitledCard } from "../components/ui/card";
import { Progress } from "../components/ui/progress";
import { useApiData } from "../hooks/useApiData";
import { formatDateTime, formatPercent } from "../lib/format";

function LastSessionCard() {
  const data = useApiData((api, signal) => api.dashboard.lastStudySession(signal), []);
  return (
    <TitledCard title="Last study session">
      <AsyncContent data={data}>
        {(session) =>
          session === null ? (
            <EmptyState>No study sessions yet. Start studying to see your latest one here.</EmptyState>
          ) : (
            <div className="flex flex-col gap-3">
              <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
                <dt className="text-muted-foreground">Activity</dt>
                <dd>
                  <Link
                    to={`/study_activities/${session.study_activity_id}`}
                    className="font-medium text-primary hover:underline"
                  >
                    {session.activity_name}
                  </Link>
                </dd>
                <dt className="text-muted-foreground">Group</dt>
                <dd>
                  <Link to={`/groups/${session.group_id}`} className="font-medium text-primary hover:underline">
                    {session.group_name}
                  </Link>
                </dd>
                <dt className="text-muted-foreground">Started</dt>
                <dd>{formatDateTime(session.created_at)}</dd>
              </dl>
              <div className="flex flex-wrap items-center gap-3">
                <ButtonLink
                  size="sm"
                  to={`/study_activities/${session.study_activity_id}/launch?group_id=${session.group_id}`}
                >
                  Continue with {session.group_name}
                </ButtonLink>
                <Link to={`/study_sessions/${session.id}`} className="text-sm font-medium text-primary hover:underline">
                  View session #{session.id}
                </Link>
              </div>
            </div>
          )
        }
      </AsyncContent>
    </TitledCard>
  );
}

function ProgressCard() {
  const data = useApiData((api, signal) => api.dashboard.studyProgress(signal), []);
  return (
    <TitledCard title="Study progress">
      <AsyncContent data={data}>
        {(progress) => {
          const percent =
            progress.total_available_words > 0
              ? (progress.total_words_studied / progress.total_available_words) * 100
              : 0;
          return (
            <div className="flex flex-col gap-2">
              <p className="text-sm">
                <span className="text-2xl font-bold">{progress.total_words_studied.toLocaleString()}</span>
                <span className="text-muted-foreground">
                  {" "}
                  of {progress.total_available_words.toLocaleString()} words studied
                </span>
              </p>
              <Progress
                value={progress.total_words_studied}
                max={progress.total_available_words}
                label="Words studied"
              />
              <p className="text-sm text-muted-foreground">{formatPercent(percent)} of the vocabulary studied</p>
            </div>
          );
        }}
      </AsyncContent>
    </TitledCard>
  );
}

function QuickStatsCard() {
  const data = useApiData((api, signal) => api.dashboard.quickStats(signal), []);
  return (
    <TitledCard title="Quick stats" className="md:col-span-2">
      <AsyncContent data={data}>
        {(stats) => (
          <dl className="grid grid-cols-2 gap-3 lg:grid-cols-4">
            {[
              // Before the first answer there is no rate to show, not a rate of 0%.
              ["Success rate", stats.success_rate === null ? "—" : formatPercent(stats.success_rate)],
              ["Study sessions", stats.total_study_sessions.toLocaleString()],
              ["Active groups", stats.total_active_groups.toLocaleString()],
              ["Study streak", `${stats.study_streak_days} ${stats.study_streak_days === 1 ? "day" : "days"}`],
            ].map(([label, value]) => (
              <div key={label} className="rounded-md border bg-muted/40 p-3">
                <dt className="text-xs text-muted-foreground">{label}</dt>
                <dd className="text-xl font-semibold">{value}</dd>
              </div>
            ))}
          </dl>
        )}
      </AsyncContent>
    </TitledCard>
  );
}

export function DashboardPage() {
  return (
    <>
      <PageHeader title="Dashboard" actions={<ButtonLink to="/study_activities">Start studying</ButtonLink>} />
      <div className="grid gap-4 md:grid-cols-2">
        <LastSessionCard />
        <ProgressCard />
        <QuickStatsCard />
      </div>
    </>
  );
}
