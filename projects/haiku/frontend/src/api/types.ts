/** Answer shapes of the Haiku API (apps.md section B). */
export type HaikuStatus = "new" | "in progress" | "completed" | "failed";

export interface Haiku {
  haiku_id: string;
  status: HaikuStatus;
  error_message: string | null;
  english_lines: string[];
  japanese_lines: string[];
  image_descriptions: string[];
  image_urls: string[];
  audio_urls: string[];
  created_at: string;
  updated_at: string;
}

export interface HaikuList {
  items: Haiku[];
  total: number;
}

export interface ChatMessage {
  chat_id: number;
  role: "user" | "assistant";
  message: string;
  created_at: string;
}

export interface ChatTurn {
  chat_id: number;
  message: string;
  haiku: Haiku;
}

export interface Capabilities {
  features: { chat: boolean; media: boolean };
}
