import { describe, expect, it } from "vitest";
import { furiganaSegments } from "./furigana";

describe("furigana", () => {
  it("puts the reading over the kanji and leaves the kana written after them alone", () => {
    expect(furiganaSegments("黄色い", "きいろい")).toEqual([{ text: "黄色", reading: "きいろ" }, { text: "い" }]);
    expect(furiganaSegments("食べる", "たべる")).toEqual([{ text: "食", reading: "た" }, { text: "べる" }]);
  });

  it("handles kana before the kanji and kanji on their own", () => {
    expect(furiganaSegments("お茶", "おちゃ")).toEqual([{ text: "お" }, { text: "茶", reading: "ちゃ" }]);
    expect(furiganaSegments("肉", "にく")).toEqual([{ text: "肉", reading: "にく" }]);
    expect(furiganaSegments("果物", "くだもの")).toEqual([{ text: "果物", reading: "くだもの" }]);
  });

  it("reads kanji between kana, and katakana written in the word", () => {
    expect(furiganaSegments("お父さん", "おとうさん")).toEqual([
      { text: "お" },
      { text: "父", reading: "とう" },
      { text: "さん" },
    ]);
    expect(furiganaSegments("カレー味", "かれーあじ")).toEqual([{ text: "カレー" }, { text: "味", reading: "あじ" }]);
  });

  it("shows no furigana for words written in kana", () => {
    expect(furiganaSegments("こんにちは", "こんにちは")).toEqual([{ text: "こんにちは" }]);
    expect(furiganaSegments("パン", "パン")).toEqual([{ text: "パン" }]);
  });

  it("puts a reading that does not fit the written kana over the whole word", () => {
    expect(furiganaSegments("食べる", "のむ")).toEqual([{ text: "食べる", reading: "のむ" }]);
    expect(furiganaSegments("肉", "")).toEqual([{ text: "肉" }]);
  });
});
