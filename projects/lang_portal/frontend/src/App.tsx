import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { SignInGate } from "@app-dw/spa-kit/app";
import { Layout } from "./components/Layout";
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

/** The pages once someone is signed in; the sign-in screen when not. */
export function App() {
  return (
    <SignInGate title="Lang Portal" purpose="to study">
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </SignInGate>
  );
}
