/** Which parts of a word get furigana: each run of kanji gets the part of the reading between the kana
 * written around it (黄色い + きいろい: 黄色 read きいろ, then い). */
export interface Segment {
  text: string;
  /** The reading to show above `text`; absent for kana, which reads itself. */
  reading?: string;
}

const KANA = /[\u3041-\u309f\u30a0-\u30ff]/;

/** Katakana as hiragana (the API's readings are hiragana; a word may write a kana part in katakana). */
function hiragana(text: string): string {
  return text.replace(/[\u30a1-\u30f6]/g, (char) => String.fromCharCode(char.charCodeAt(0) - 0x60));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function furiganaSegments(japanese: string, kana: string): Segment[] {
  const runs = japanese.match(/[\u3041-\u309f\u30a0-\u30ff]+|[^\u3041-\u309f\u30a0-\u30ff]+/g) ?? [];
  const kanjiRuns = runs.filter((run) => !KANA.test(run));
  if (kanjiRuns.length === 0 || !kana) return [{ text: japanese }];
  const pattern = runs.map((run) => (KANA.test(run) ? escapeRegExp(hiragana(run)) : "(.+?)")).join("");
  const match = new RegExp(`^${pattern}$`, "u").exec(hiragana(kana));
  // A reading that does not fit the kana written around the kanji goes over the whole word.
  if (!match) return [{ text: japanese, reading: kana }];
  let group = 1;
  return runs.map((run) => (KANA.test(run) ? { text: run } : { text: run, reading: match[group++] }));
}
