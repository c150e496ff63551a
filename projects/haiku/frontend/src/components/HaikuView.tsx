import type { Haiku } from "../api/types";

/** A completed haiku: each line in English and Japanese, its picture and its reading. */
export function HaikuView({ haiku }: { haiku: Haiku }) {
  return (
    <ol className="grid gap-4 sm:grid-cols-3" aria-label="The haiku, line by line">
      {haiku.english_lines.map((line, index) => (
        <li key={index} className="flex flex-col gap-2 rounded-lg border bg-card p-3">
          {haiku.image_urls[index] && (
            <img
              src={haiku.image_urls[index]}
              alt={haiku.image_descriptions[index] ?? `Picture for line ${index + 1}`}
              className="aspect-square w-full rounded-md object-cover"
            />
          )}
          <p className="font-medium">{line}</p>
          <p lang="ja" className="font-japanese text-lg">
            {haiku.japanese_lines[index]}
          </p>
          {haiku.audio_urls[index] && (
            <audio controls preload="none" src={haiku.audio_urls[index]} className="w-full">
              <a href={haiku.audio_urls[index]}>Listen to line {index + 1}</a>
            </audio>
          )}
        </li>
      ))}
    </ol>
  );
}
