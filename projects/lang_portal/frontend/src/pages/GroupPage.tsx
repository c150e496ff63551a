import { Link } from "react-router";
import { AsyncContent } from "../components/AsyncContent";
import { PageHeader } from "../components/PageHeader";
import { SessionsTable } from "../components/SessionsTable";
import { WordsTable } from "../components/WordsTable";
import { ButtonLink } from "../components/ui/button";
import { TitledCard } from "../components/ui/card";
import { useApiData } from "../hooks/useApiData";
import { useNumericParam } from "../hooks/useNumericParam";
import { plural } from "../lib/format";
import { NotFoundPage } from "./NotFoundPage";

function GroupDetails({ id }: { id: number }) {
  const data = useApiData((api, signal) => api.groups.get(id, signal), [id]);
  return (
    <>
      <PageHeader
        title={data.status === "ready" ? data.data.name : "Word group"}
        trail={[
          { label: "Dashboard", to: "/dashboard" },
          { label: "Word Groups", to: "/groups" },
        ]}
        actions={
          data.status === "ready" && <ButtonLink to={`/study_activities?group_id=${id}`}>Study this group</ButtonLink>
        }
      />
      <div className="mb-4">
        <AsyncContent
          data={data}
          loadingRows={1}
          notFound={
            <p>
              There is no word group {id}: it may have been removed, for example by a full reset.{" "}
              <Link to="/groups" className="font-medium text-primary underline">
                See all word groups
              </Link>
            </p>
          }
        >
          {(group) => (
            <p className="text-muted-foreground">{plural(group.stats.total_word_count, "word")} in this group.</p>
          )}
        </AsyncContent>
      </div>
      {data.status !== "error" && (
        <div className="flex flex-col gap-6">
          <TitledCard title="Words">
            <WordsTable
              listKey={`groups/${id}/words`}
              load={(api, query, signal) => api.groups.words(id, query, signal)}
              caption="Words in this group"
              empty="This group has no words."
              paramPrefix="words_"
            />
          </TitledCard>
          <TitledCard title="Study sessions">
            <SessionsTable
              listKey={`groups/${id}/study_sessions`}
              load={(api, query, signal) => api.groups.sessions(id, query, signal)}
              caption="Study sessions of this group"
              empty="This group has not been studied yet."
              paramPrefix="sessions_"
            />
          </TitledCard>
        </div>
      )}
    </>
  );
}

export function GroupPage() {
  const id = useNumericParam();
  return id === null ? <NotFoundPage /> : <GroupDetails id={id} />;
}
