import { Link, useSearchParams } from "react-router";
import { ActivityThumbnail } from "../components/ActivityThumbnail";
import { AsyncContent } from "../components/AsyncContent";
import { Pagination } from "../components/DataTable";
import { PageHeader } from "../components/PageHeader";
import { ButtonLink } from "../components/ui/button";
import { Alert } from "../components/ui/alert";
import { Card, CardContent } from "../components/ui/card";
import { useApiData } from "../hooks/useApiData";
import { useListQuery } from "../hooks/useListQuery";

/** "Study this group" comes here with ?group_id=: the group the learner chose, carried on to the launch. */
function useChosenGroup(): { groupId: string | null; name: string | null } {
  const groupId = useSearchParams()[0].get("group_id");
  const valid = groupId !== null && /^\d+$/.test(groupId) ? groupId : null;
  const group = useApiData(
    (api, signal) => (valid ? api.groups.get(Number(valid), signal) : Promise.resolve(null)),
    [valid],
  );
  return { groupId: valid, name: group.status === "ready" && group.data ? group.data.name : null };
}

export function StudyActivitiesPage() {
  const { page, setPage } = useListQuery();
  const chosen = useChosenGroup();
  const launchQuery = chosen.groupId ? `?group_id=${chosen.groupId}` : "";
  const data = useApiData((api, signal) => api.studyActivities.list({ page }, signal), [page]);
  return (
    <>
      <PageHeader title="Study Activities" trail={[{ label: "Dashboard", to: "/dashboard" }]} />
      {chosen.name && (
        <Alert className="mb-4">
          Choose an activity to study <span className="font-semibold">{chosen.name}</span>.
        </Alert>
      )}
      <AsyncContent
        data={data}
        isEmpty={(result) => result.items.length === 0}
        empty="No study activities are available yet."
      >
        {(result) => (
          <>
            <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
              {result.items.map((activity) => (
                <li key={activity.id}>
                  <Card className="flex h-full flex-col" aria-labelledby={`activity-${activity.id}`}>
                    <CardContent className="flex flex-1 flex-col gap-3 pt-4 sm:pt-5">
                      <ActivityThumbnail activity={activity} />
                      <h2 id={`activity-${activity.id}`} className="text-lg font-semibold">
                        <Link to={`/study_activities/${activity.id}`} className="rounded hover:underline">
                          {activity.name}
                        </Link>
                      </h2>
                      {activity.description && (
                        <p className="flex-1 text-sm text-muted-foreground">{activity.description}</p>
                      )}
                      <div className="mt-auto flex gap-2">
                        <ButtonLink
                          to={`/study_activities/${activity.id}/launch${launchQuery}`}
                          aria-label={`Launch ${activity.name}`}
                        >
                          Launch
                        </ButtonLink>
                        <ButtonLink
                          variant="outline"
                          to={`/study_activities/${activity.id}`}
                          aria-label={`View ${activity.name}`}
                        >
                          View
                        </ButtonLink>
                      </div>
                    </CardContent>
                  </Card>
                </li>
              ))}
            </ul>
            {result.pagination.total_pages > 1 && (
              <Pagination pagination={result.pagination} onPageChange={setPage} label="Study activities" />
            )}
          </>
        )}
      </AsyncContent>
    </>
  );
}
