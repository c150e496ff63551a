import { furiganaSegments } from "../lib/furigana";
import { cn } from "../lib/cn";

/** Japanese with its reading as furigana over the kanji (<ruby>), marked as Japanese for screen readers
 * and fonts. */
export function Furigana({ japanese, kana, className }: { japanese: string; kana: string; className?: string }) {
  return (
    <span lang="ja" className={cn("font-japanese", className)}>
      {furiganaSegments(japanese, kana).map((segment, index) =>
        segment.reading ? (
          <ruby key={index}>
            {segment.text}
            <rp>(</rp>
            <rt className="text-[0.5em] font-normal">{segment.reading}</rt>
            <rp>)</rp>
          </ruby>
        ) : (
          <span key={index}>{segment.text}</span>
        ),
      )}
    </span>
  );
}

/** A word as learners read it: the Japanese large with furigana, and its romaji beneath. */
export function JapaneseWord({
  japanese,
  kana,
  romaji,
  size = "md",
  romajiClassName,
}: {
  japanese: string;
  kana: string;
  romaji: string;
  size?: "md" | "xl";
  /** E.g. to show the romaji only where no romaji column is beside it. */
  romajiClassName?: string;
}) {
  return (
    <span className="inline-flex flex-col">
      <Furigana
        japanese={japanese}
        kana={kana}
        className={cn(
          "leading-tight",
          size === "xl" ? "text-5xl sm:text-6xl" : "text-xl sm:text-2xl sm:whitespace-nowrap",
        )}
      />
      <span className={cn("text-muted-foreground", size === "xl" ? "mt-2 text-lg" : "text-xs", romajiClassName)}>
        {romaji}
      </span>
    </span>
  );
}
