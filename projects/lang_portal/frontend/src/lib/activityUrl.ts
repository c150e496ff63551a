/** The activity app's address with the group to study and the session to record into. */
export function activityLaunchUrl(activityUrl: string, groupId: number, sessionId: number, base: string): string {
  const url = new URL(activityUrl, base);
  url.searchParams.set("group_id", String(groupId));
  url.searchParams.set("session_id", String(sessionId));
  return url.href;
}
