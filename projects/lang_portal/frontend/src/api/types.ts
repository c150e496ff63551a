/** Response shapes of the Lang Portal API (spec: apps.md section A). */

export interface LastStudySession {
  id: number;
  group_id: number;
  group_name: string;
  study_activity_id: number;
  activity_name: string;
  created_at: string;
}

export interface StudyProgress {
  total_words_studied: number;
  total_available_words: number;
}

export interface QuickStats {
  /** Percentage of correct reviews, 0-100; null before the first review. */
  success_rate: number | null;
  total_study_sessions: number;
  total_active_groups: number;
  study_streak_days: number;
}

export interface StudyActivity {
  id: number;
  name: string;
  url: string;
  /** May be relative to this site (the SPA ships the seed activities' thumbnails). */
  thumbnail_url: string;
  description: string;
}

export interface StartedStudySession {
  id: number;
  group_id: number;
}

export interface WordListItem {
  id: number;
  japanese: string;
  /** The reading in kana (furigana over the kanji). */
  kana: string;
  romaji: string;
  english: string;
  correct_count: number;
  wrong_count: number;
}

export interface GroupRef {
  id: number;
  name: string;
}

export interface WordDetail {
  id: number;
  japanese: string;
  kana: string;
  romaji: string;
  english: string;
  stats: { correct_count: number; wrong_count: number };
  groups: GroupRef[];
}

export interface GroupListItem {
  id: number;
  name: string;
  word_count: number;
}

export interface GroupDetail {
  id: number;
  name: string;
  stats: { total_word_count: number };
}

export interface StudySessionListItem {
  id: number;
  activity_name: string;
  group_name: string;
  start_time: string;
  /** The last review's time; the start time while there is none. */
  end_time: string;
  review_items_count: number;
  /** How many of the reviews were correct. */
  correct_count: number;
}

export interface StudySessionDetail extends StudySessionListItem {
  group_id: number;
  study_activity_id: number;
}

export interface ResetResult {
  success: boolean;
  message: string;
}

/** A presigned (short-lived) URL to media the API keeps in S3. */
export interface MediaLink {
  word_id: number;
  url: string;
  content_type: string;
  expires_in: number;
}

export interface ExampleSentence {
  word_id: number;
  japanese: string;
  romaji: string;
  english: string;
}

/** The optional (AWS-backed) features and whether this deployment offers each. */
export interface Capabilities {
  features: { word_audio: boolean; word_picture: boolean; example_sentence: boolean };
}
