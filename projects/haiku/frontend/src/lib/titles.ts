import type { Haiku } from "../api/types";

/** What a haiku is called in lists and headings: its first line, or that it has none yet. */
export function haikuTitle(haiku: Haiku): string {
  return haiku.english_lines[0] ?? "Untitled haiku";
}
