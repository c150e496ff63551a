import type { GroupListItem, StudyActivity, StudySessionListItem, WordListItem } from "../api/types";

export const WORDS: WordListItem[] = [
  {
    id: 1,
    japanese: "こんにちは",
    kana: "こんにちは",
    romaji: "konnichiwa",
    english: "hello",
    correct_count: 3,
    wrong_count: 1,
  },
  {
    id: 2,
    japanese: "ありがとう",
    kana: "ありがとう",
    romaji: "arigatou",
    english: "thank you",
    correct_count: 0,
    wrong_count: 2,
  },
];

export const GROUPS: GroupListItem[] = [
  { id: 1, name: "Basic Greetings", word_count: 12 },
  { id: 2, name: "Food", word_count: 30 },
];

export const ACTIVITY: StudyActivity = {
  id: 4,
  name: "Writing Practice",
  url: "https://writing.example.test/",
  thumbnail_url: "",
  description: "Write the words you hear.",
};

export const SESSION: StudySessionListItem = {
  id: 9,
  activity_name: "Writing Practice",
  group_name: "Basic Greetings",
  start_time: "2025-03-01T10:00:00Z",
  end_time: "2025-03-01T10:20:00Z",
  review_items_count: 6,
  correct_count: 4,
};
