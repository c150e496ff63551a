import { Link } from "react-router";
import type { GroupListItem } from "../api/types";
import type { Column } from "../components/DataTable";
import { PagedTable } from "../components/PagedTable";
import { PageHeader } from "@app-dw/spa-kit/components/PageHeader";

const columns: Column<GroupListItem>[] = [
  {
    header: "Group",
    sortKey: "name",
    cell: (group) => (
      <Link to={`/groups/${group.id}`} className="rounded font-medium text-primary hover:underline">
        {group.name}
      </Link>
    ),
  },
  { header: "Words", sortKey: "word_count", cell: (group) => group.word_count, className: "text-right" },
];

export function GroupsPage() {
  return (
    <>
      <PageHeader title="Word Groups" trail={[{ label: "Dashboard", to: "/dashboard" }]} />
      <PagedTable
        listKey="groups"
        load={(api, query, signal) => api.groups.list(query, signal)}
        columns={columns}
        rowKey={(group) => group.id}
        caption="Word groups"
        empty="There are no word groups yet."
      />
    </>
  );
}
