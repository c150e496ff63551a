import { PageHeader } from "../components/PageHeader";
import { WordsTable } from "../components/WordsTable";

export function WordsPage() {
  return (
    <>
      <PageHeader title="Words" trail={[{ label: "Dashboard", to: "/dashboard" }]} />
      <WordsTable
        listKey="words"
        load={(api, query, signal) => api.words.list(query, signal)}
        caption="All words"
        empty="There are no words yet."
      />
    </>
  );
}
