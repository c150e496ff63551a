import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { LoadingState } from "./components/AsyncContent";
import { Layout } from "./components/Layout";
import { Alert } from "@app-dw/spa-kit/ui/alert";
import { Button } from "@app-dw/spa-kit/ui/button";
import { DashboardPage } from "./pages/DashboardPage";
import { GroupPage } from "./pages/GroupPage";
import { GroupsPage } from "./pages/GroupsPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { SettingsPage } from "./pages/SettingsPage";
import { StudyActivitiesPage } from "./pages/StudyActivitiesPage";
import { StudyActivityLaunchPage } from "./pages/StudyActivityLaunchPage";
import { StudyActivityPage } from "./pages/StudyActivityPage";
import { StudySessionPage } from "./pages/StudySessionPage";
import { StudySessionsPage } from "./pages/StudySessionsPage";
import { WordPage } from "./pages/WordPage";
import { WordsPage } from "./pages/WordsPage";
import { useAuth } from "./services";

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Navigate to="/dashboard" replace />} />
        <Route path="dashboard" element={<DashboardPage />} />
        <Route path="study_activities" element={<StudyActivitiesPage />} />
        <Route path="study_activities/:id" element={<StudyActivityPage />} />
        <Route path="study_activities/:id/launch" element={<StudyActivityLaunchPage />} />
        <Route path="words" element={<WordsPage />} />
        <Route path="words/:id" element={<WordPage />} />
        <Route path="groups" element={<GroupsPage />} />
        <Route path="groups/:id" element={<GroupPage />} />
        <Route path="study_sessions" element={<StudySessionsPage />} />
        <Route path="study_sessions/:id" element={<StudySessionPage />} />
        <Route path="settings" element={<SettingsPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

function SignInScreen({ message, onSignIn }: { message: string | null; onSignIn: () => void }) {
  return (
    <main className="mx-auto flex min-h-screen max-w-md flex-col justify-center gap-4 px-4">
      <h1 className="text-2xl font-bold">Lang Portal</h1>
      {message && <Alert tone="error">{message}</Alert>}
      <p className="text-muted-foreground">Sign in with your app-dw account to study.</p>
      <Button onClick={onSignIn} className="self-start">
        Sign in
      </Button>
    </main>
  );
}

/** The pages once someone is signed in; the sign-in screen when not. The router mounts only
 * after sign-in has put the address back from /auth/callback to the page the user wanted. */
export function App() {
  const { state, session } = useAuth();
  if (state.status === "starting") {
    return (
      <main className="mx-auto max-w-md px-4 py-16">
        <LoadingState label="Signing you in…" />
      </main>
    );
  }
  if (state.status === "signed-out") {
    return <SignInScreen message={state.message} onSignIn={() => void session.signIn()} />;
  }
  return (
    <BrowserRouter>
      <AppRoutes />
    </BrowserRouter>
  );
}
