/** Every Lang Portal API call the pages make, typed. */
import type { ApiClient, PageQuery } from "./client";
import type {
  Capabilities,
  ExampleSentence,
  GroupDetail,
  GroupListItem,
  LastStudySession,
  MediaLink,
  QuickStats,
  ResetResult,
  StartedStudySession,
  StudyActivity,
  StudyProgress,
  StudySessionDetail,
  StudySessionListItem,
  WordDetail,
  WordListItem,
} from "./types";

type Signal = AbortSignal | undefined;

export function createLangPortalApi(client: ApiClient) {
  return {
    /** Which optional features this deployment offers (the same for every page: asked once). */
    capabilities: (signal?: Signal) => client.get<Capabilities>("/capabilities", { signal }),
    dashboard: {
      /** null until the user has studied at least once. */
      lastStudySession: (signal?: Signal) =>
        client.get<LastStudySession | null>("/dashboard/last_study_session", { signal }),
      studyProgress: (signal?: Signal) => client.get<StudyProgress>("/dashboard/study_progress", { signal }),
      quickStats: (signal?: Signal) => client.get<QuickStats>("/dashboard/quick-stats", { signal }),
    },
    studyActivities: {
      list: (query: PageQuery, signal?: Signal) => client.getPage<StudyActivity>("/study_activities", query, signal),
      get: (id: number, signal?: Signal) => client.get<StudyActivity>(`/study_activities/${id}`, { signal }),
      sessions: (id: number, query: PageQuery, signal?: Signal) =>
        client.getPage<StudySessionListItem>(`/study_activities/${id}/study_sessions`, query, signal),
      start: (groupId: number, studyActivityId: number) =>
        client.post<StartedStudySession>("/study_activities", {
          group_id: groupId,
          study_activity_id: studyActivityId,
        }),
    },
    words: {
      list: (query: PageQuery, signal?: Signal) => client.getPage<WordListItem>("/words", query, signal),
      get: (id: number, signal?: Signal) => client.get<WordDetail>(`/words/${id}`, { signal }),
      // POST: each may generate (and pay for) new media on first use.
      audio: (id: number) => client.post<MediaLink>(`/words/${id}/audio`),
      picture: (id: number) => client.post<MediaLink>(`/words/${id}/picture`),
      exampleSentence: (id: number) => client.post<ExampleSentence>(`/words/${id}/example_sentence`),
    },
    groups: {
      list: (query: PageQuery, signal?: Signal) => client.getPage<GroupListItem>("/groups", query, signal),
      listAll: (signal?: Signal) =>
        client.getAllPages<GroupListItem>("/groups", { sort_by: "name", order: "asc" }, signal),
      get: (id: number, signal?: Signal) => client.get<GroupDetail>(`/groups/${id}`, { signal }),
      words: (id: number, query: PageQuery, signal?: Signal) =>
        client.getPage<WordListItem>(`/groups/${id}/words`, query, signal),
      sessions: (id: number, query: PageQuery, signal?: Signal) =>
        client.getPage<StudySessionListItem>(`/groups/${id}/study_sessions`, query, signal),
    },
    studySessions: {
      list: (query: PageQuery, signal?: Signal) =>
        client.getPage<StudySessionListItem>("/study_sessions", query, signal),
      get: (id: number, signal?: Signal) => client.get<StudySessionDetail>(`/study_sessions/${id}`, { signal }),
      words: (id: number, query: PageQuery, signal?: Signal) =>
        client.getPage<WordListItem>(`/study_sessions/${id}/words`, query, signal),
    },
    settings: {
      resetHistory: () => client.post<ResetResult>("/reset_history"),
      fullReset: () => client.post<ResetResult>("/full_reset"),
    },
  };
}

export type LangPortalApi = ReturnType<typeof createLangPortalApi>;
