/** What every SPA does around its pages: start (configuration, sign-in, services, theme) and wait for sign-in
 * before any page shows. */
import { StrictMode, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import { ApiClient } from "./api/client";
import { HostedUiClient } from "./auth/hostedUi";
import { AuthSession } from "./auth/session";
import { LoadingState } from "./components/AsyncContent";
import { loadConfig } from "./config";
import { ServicesProvider, useAuth } from "./services";
import { applyTheme, storedThemePreference, ThemeProvider } from "./theme";
import { Alert } from "./ui/alert";
import { Button } from "./ui/button";

function SignInScreen({
  title,
  purpose,
  message,
  onSignIn,
}: {
  title: string;
  purpose: string;
  message: string | null;
  onSignIn: () => void;
}) {
  return (
    <main className="mx-auto flex min-h-screen max-w-md flex-col justify-center gap-4 px-4">
      <h1 className="text-2xl font-bold">{title}</h1>
      {message && <Alert tone="error">{message}</Alert>}
      <p className="text-muted-foreground">Sign in with your app-dw account {purpose}.</p>
      <Button onClick={onSignIn} className="self-start">
        Sign in
      </Button>
    </main>
  );
}

/** The children once someone is signed in; the sign-in screen when not. Mount the router inside, so it starts
 * only after sign-in has put the address back from /auth/callback to the page the user wanted. */
export function SignInGate({ title, purpose, children }: { title: string; purpose: string; children: ReactNode }) {
  const { state, session } = useAuth();
  if (state.status === "starting") {
    return (
      <main className="mx-auto max-w-md px-4 py-16">
        <LoadingState label="Signing you in…" />
      </main>
    );
  }
  if (state.status === "signed-out") {
    return (
      <SignInScreen title={title} purpose={purpose} message={state.message} onSignIn={() => void session.signIn()} />
    );
  }
  return <>{children}</>;
}

export interface AppStart<Api> {
  /** The app's title ("Lang Portal") and how messages name it ("Lang Portal": "The Lang Portal could not …"). */
  title: string;
  /** How a request that never arrived names the API: "the Lang Portal API". */
  apiName: string;
  createApi: (client: ApiClient) => Api;
  app: ReactNode;
}

/** Reads /config.json, signs in (hosted UI, or local mode) and renders `app` with its services; a configuration
 * that cannot be loaded is said plainly instead. */
export function startApp<Api>({ title, apiName, createApi, app }: AppStart<Api>): void {
  // Before the first paint, so a dark-theme user never sees a white flash.
  applyTheme(storedThemePreference());
  const root = createRoot(document.getElementById("root")!);

  async function start(): Promise<void> {
    const fetchImpl: typeof fetch = (input, init) => fetch(input, init);
    const config = await loadConfig(fetchImpl, window.location.origin);
    const hostedUi = config.cognito && new HostedUiClient(config.cognito, fetchImpl, window.sessionStorage);
    const session = new AuthSession(hostedUi);
    const api = createApi(new ApiClient(config.apiBaseUrl, session.getAccessToken, fetchImpl, apiName));
    root.render(
      <StrictMode>
        <ServicesProvider services={{ api, session, appName: title }}>
          <ThemeProvider>{app}</ThemeProvider>
        </ServicesProvider>
      </StrictMode>,
    );
    await session.start();
  }

  start().catch((error: unknown) => {
    root.render(
      <main className="mx-auto max-w-md px-4 py-16">
        <h1 className="mb-2 text-xl font-bold">{title} could not start</h1>
        <p role="alert">{error instanceof Error ? error.message : String(error)}</p>
      </main>,
    );
  });
}
