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
        search={{
          label: "Search words",
          placeholder: "Japanese, kana, romaji or English",
          noMatch: (text) => `No word matches “${text}”. Try fewer letters, or kana instead of kanji.`,
        }}
      />
    </>
  );
}
