import { Link } from "react-router";
import type { WordListItem } from "../api/types";
import type { Column } from "./DataTable";
import { JapaneseWord } from "./JapaneseWord";
import { PagedTable, type PagedTableProps } from "./PagedTable";

const columns: Column<WordListItem>[] = [
  {
    header: "Japanese",
    sortKey: "japanese",
    cell: (word) => (
      <Link
        to={`/words/${word.id}`}
        className="rounded text-primary underline decoration-primary/40 underline-offset-4 hover:decoration-primary"
      >
        {/* The romaji column stands beside it from md up; below, the romaji goes under the word. */}
        <JapaneseWord japanese={word.japanese} kana={word.kana} romaji={word.romaji} romajiClassName="md:hidden" />
      </Link>
    ),
  },
  { header: "Romaji", sortKey: "romaji", cell: (word) => word.romaji, className: "hidden md:table-cell" },
  { header: "English", sortKey: "english", cell: (word) => word.english },
  {
    header: "Correct",
    sortKey: "correct_count",
    cell: (word) => <span className="text-success">{word.correct_count}</span>,
    className: "text-right",
  },
  {
    header: "Wrong",
    sortKey: "wrong_count",
    cell: (word) => <span className="text-destructive">{word.wrong_count}</span>,
    className: "text-right",
  },
];

type WordsTableProps = Pick<
  PagedTableProps<WordListItem>,
  "listKey" | "load" | "caption" | "empty" | "paramPrefix" | "search"
>;

export function WordsTable(props: WordsTableProps) {
  return <PagedTable columns={columns} rowKey={(word) => word.id} {...props} />;
}
