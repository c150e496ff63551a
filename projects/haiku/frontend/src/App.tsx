import { BrowserRouter, Route, Routes } from "react-router";
import { SignInGate } from "@app-dw/spa-kit/app";
import { Layout } from "./components/Layout";
import { HaikuListPage } from "./pages/HaikuListPage";
import { HaikuPage } from "./pages/HaikuPage";
import { NotFoundPage } from "./pages/NotFoundPage";

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<HaikuListPage />} />
        <Route path="haiku/:id" element={<HaikuPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

/** The pages once someone is signed in; the sign-in screen when not. */
export function App() {
  return (
    <SignInGate title="Haiku Generator" purpose="to write haiku">
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </SignInGate>
  );
}
