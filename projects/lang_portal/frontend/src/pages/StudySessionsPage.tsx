import { PageHeader } from "@app-dw/spa-kit/components/PageHeader";
import { SessionsTable } from "../components/SessionsTable";
import { ButtonLink } from "@app-dw/spa-kit/ui/button";

export function StudySessionsPage() {
  return (
    <>
      <PageHeader
        title="Study Sessions"
        trail={[{ label: "Dashboard", to: "/dashboard" }]}
        actions={<ButtonLink to="/study_activities">Start studying</ButtonLink>}
      />
      <SessionsTable
        listKey="study_sessions"
        load={(api, query, signal) => api.studySessions.list(query, signal)}
        caption="Your study sessions"
        empty="No study sessions yet. Launch a study activity to start one."
      />
    </>
  );
}
