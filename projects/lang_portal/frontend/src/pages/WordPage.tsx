import { Link } from "react-router";
import { AsyncContent } from "../components/AsyncContent";
import { JapaneseWord } from "../components/JapaneseWord";
import { PageHeader } from "../components/PageHeader";
import { WordAssist } from "../components/WordAssist";
import { Badge } from "../components/ui/badge";
import { Card, CardContent, TitledCard } from "../components/ui/card";
import { useApiData } from "../hooks/useApiData";
import { useNumericParam } from "../hooks/useNumericParam";
import { formatPercent } from "../lib/format";
import { NotFoundPage } from "./NotFoundPage";

function WordDetails({ id }: { id: number }) {
  const data = useApiData((api, signal) => api.words.get(id, signal), [id]);
  return (
    <>
      <PageHeader
        title={data.status === "ready" ? data.data.japanese : "Word"}
        lang={data.status === "ready" ? "ja" : undefined}
        trail={[
          { label: "Dashboard", to: "/dashboard" },
          { label: "Words", to: "/words" },
        ]}
      />
      <AsyncContent
        data={data}
        notFound={
          <p>
            There is no word {id}: it may have been removed, for example by a full reset.{" "}
            <Link to="/words" className="font-medium text-primary underline">
              See all words
            </Link>
          </p>
        }
      >
        {(word) => {
          const { correct_count: correct, wrong_count: wrong } = word.stats;
          const reviews = correct + wrong;
          return (
            <div className="grid gap-4 md:grid-cols-2">
              <Card className="md:col-span-2">
                <CardContent className="flex flex-col gap-4 pt-4 sm:pt-5">
                  <JapaneseWord japanese={word.japanese} kana={word.kana} romaji={word.romaji} size="xl" />
                  <p className="text-xl">{word.english}</p>
                  <WordAssist wordId={word.id} english={word.english} />
                </CardContent>
              </Card>
              <TitledCard title="Study statistics">
                <dl className="grid grid-cols-3 gap-3 text-center">
                  <div className="rounded-md border p-3">
                    <dt className="text-xs text-muted-foreground">Correct</dt>
                    <dd className="text-2xl font-semibold text-success">{correct}</dd>
                  </div>
                  <div className="rounded-md border p-3">
                    <dt className="text-xs text-muted-foreground">Wrong</dt>
                    <dd className="text-2xl font-semibold text-destructive">{wrong}</dd>
                  </div>
                  <div className="rounded-md border p-3">
                    <dt className="text-xs text-muted-foreground">Success rate</dt>
                    <dd className="text-2xl font-semibold">
                      {reviews > 0 ? formatPercent((correct / reviews) * 100) : "—"}
                    </dd>
                  </div>
                </dl>
              </TitledCard>
              <TitledCard title="Word groups">
                {word.groups.length === 0 ? (
                  <p className="text-sm text-muted-foreground">This word is in no group.</p>
                ) : (
                  <ul className="flex flex-wrap gap-2">
                    {word.groups.map((group) => (
                      <li key={group.id}>
                        <Link to={`/groups/${group.id}`} className="rounded-full">
                          <Badge className="text-sm hover:bg-accent">{group.name}</Badge>
                        </Link>
                      </li>
                    ))}
                  </ul>
                )}
              </TitledCard>
            </div>
          );
        }}
      </AsyncContent>
    </>
  );
}

export function WordPage() {
  const id = useNumericParam();
  return id === null ? <NotFoundPage /> : <WordDetails id={id} />;
}
