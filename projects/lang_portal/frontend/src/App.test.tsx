import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiClient } from "@app-dw/spa-kit/api/client";
import { createLangPortalApi } from "./api/langPortal";
import { App } from "./App";
import { HostedUiClient } from "@app-dw/spa-kit/auth/hostedUi";
import { AuthSession } from "@app-dw/spa-kit/auth/session";
import { ServicesProvider } from "./services";
import { COGNITO, fakeJwt, fakeNavigator, signedInSession, tokenResponse } from "@app-dw/spa-kit/test/cognito";
import { ThemeProvider } from "@app-dw/spa-kit/theme";

function renderWithSession(session: AuthSession) {
  const api = createLangPortalApi(new ApiClient("/api", session.getAccessToken, vi.fn()));
  return render(
    <ServicesProvider services={{ api, session, appName: "Lang Portal" }}>
      <ThemeProvider>
        <App />
      </ThemeProvider>
    </ServicesProvider>,
  );
}

describe("App", () => {
  it("waits for sign-in before showing any page", () => {
    renderWithSession(new AuthSession(null));
    expect(screen.getByRole("status")).toHaveTextContent("Signing you in…");
  });

  it("offers to sign in again, with the reason, when the callback failed", async () => {
    const navigator = fakeNavigator(`${COGNITO.redirectUri}?error=access_denied`);
    const session = new AuthSession(new HostedUiClient(COGNITO, vi.fn(), sessionStorage), navigator);
    await session.start();
    renderWithSession(session);

    expect(screen.getByRole("alert")).toHaveTextContent("Sign-in failed: access_denied");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await vi.waitFor(() => expect(navigator.assigned[0]).toMatch(/^https:\/\/auth\.example\.test\/oauth2\/authorize/));
  });

  it("shows who is signed in and signs out through the hosted UI", async () => {
    const fetchMock = vi.fn(async () => tokenResponse({ id_token: fakeJwt({ email: "ana@example.test" }) }));
    const { session, navigator, hostedUi } = await signedInSession(fetchMock);
    renderWithSession(session);

    expect(screen.getByText("ana@example.test")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Sign out" }));
    expect(navigator.assigned.at(-1)).toBe(hostedUi.logoutUrl());
    expect(await screen.findByRole("button", { name: "Sign in" })).toBeInTheDocument();
    session.dispose();
  });
});
