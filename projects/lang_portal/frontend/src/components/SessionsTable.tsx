import { Link } from "react-router";
import type { StudySessionListItem } from "../api/types";
import { formatDateTime } from "../lib/format";
import type { Column } from "./DataTable";
import { PagedTable, type PagedTableProps } from "./PagedTable";

const columns: Column<StudySessionListItem>[] = [
  {
    header: "Session",
    cell: (session) => (
      <Link to={`/study_sessions/${session.id}`} className="rounded font-medium text-primary hover:underline">
        #{session.id}
      </Link>
    ),
  },
  { header: "Activity", sortKey: "activity_name", cell: (session) => session.activity_name },
  { header: "Group", sortKey: "group_name", cell: (session) => session.group_name, className: "hidden sm:table-cell" },
  { header: "Started", sortKey: "start_time", cell: (session) => formatDateTime(session.start_time) },
  {
    header: "Last answer",
    sortKey: "end_time",
    // Without answers the API's end time repeats the start: nothing to show.
    cell: (session) => (session.review_items_count > 0 ? formatDateTime(session.end_time) : "—"),
    className: "hidden lg:table-cell",
  },
  {
    header: "Answers",
    sortKey: "review_items_count",
    cell: (session) => (
      <>
        {session.review_items_count}
        {session.review_items_count > 0 && (
          <span className="text-muted-foreground whitespace-nowrap"> · {session.correct_count} correct</span>
        )}
      </>
    ),
    className: "text-right",
  },
];

type SessionsTableProps = Pick<
  PagedTableProps<StudySessionListItem>,
  "listKey" | "load" | "caption" | "empty" | "paramPrefix"
>;

export function SessionsTable(props: SessionsTableProps) {
  return <PagedTable columns={columns} rowKey={(session) => session.id} {...props} />;
}
