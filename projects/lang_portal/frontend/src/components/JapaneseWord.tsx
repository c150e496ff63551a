import { cn } from "../lib/cn";

/** Japanese shown large with its romaji beneath, as learners read it. */
export function JapaneseWord({
  japanese,
  romaji,
  size = "md",
}: {
  japanese: string;
  romaji: string;
  size?: "md" | "xl";
}) {
  return (
    <span className="inline-flex flex-col">
      <span
        lang="ja"
        className={cn(
          "font-japanese leading-tight",
          size === "xl" ? "text-5xl sm:text-6xl" : "text-xl whitespace-nowrap sm:text-2xl",
        )}
      >
        {japanese}
      </span>
      <span className={cn("text-muted-foreground", size === "xl" ? "mt-2 text-lg" : "text-xs")}>{romaji}</span>
    </span>
  );
}
