import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ApiClient } from "@app-dw/spa-kit/api/client";
import { createLangPortalApi } from "./api/langPortal";
import { App } from "./App";
import { HostedUiClient } from "@app-dw/spa-kit/auth/hostedUi";
import { AuthSession } from "@app-dw/spa-kit/auth/session";
import { loadConfig } from "@app-dw/spa-kit/config";
import "./index.css";
import { ServicesProvider } from "./services";
import { applyTheme, storedThemePreference, ThemeProvider } from "@app-dw/spa-kit/theme";

// Before the first paint, so a dark-theme user never sees a white flash.
applyTheme(storedThemePreference());

const root = createRoot(document.getElementById("root")!);

async function start(): Promise<void> {
  const fetchImpl: typeof fetch = (input, init) => fetch(input, init);
  const config = await loadConfig(fetchImpl, window.location.origin);
  const hostedUi = config.cognito && new HostedUiClient(config.cognito, fetchImpl, window.sessionStorage);
  const session = new AuthSession(hostedUi);
  const api = createLangPortalApi(new ApiClient(config.apiBaseUrl, session.getAccessToken, fetchImpl, "the Lang Portal API"));
  root.render(
    <StrictMode>
      <ServicesProvider services={{ api, session }}>
        <ThemeProvider>
          <App />
        </ThemeProvider>
      </ServicesProvider>
    </StrictMode>,
  );
  await session.start();
}

start().catch((error: unknown) => {
  // Without its configuration the app cannot even reach sign-in: say why, plainly.
  root.render(
    <main className="mx-auto max-w-md px-4 py-16">
      <h1 className="mb-2 text-xl font-bold">Lang Portal could not start</h1>
      <p role="alert">{error instanceof Error ? error.message : String(error)}</p>
    </main>,
  );
});
