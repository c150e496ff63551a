import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiClient } from "./api/client";
import { createLangPortalApi } from "./api/langPortal";
import { App } from "./App";
import { HostedUiClient } from "./auth/hostedUi";
import { AuthSession, type Navigator } from "./auth/session";
import { ServicesProvider } from "./services";
import { COGNITO } from "./test/cognito";
import { ThemeProvider } from "./theme";

function renderWithSession(session: AuthSession) {
  const api = createLangPortalApi(new ApiClient("/api", session.getAccessToken, vi.fn()));
  return render(
    <ServicesProvider services={{ api, session }}>
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
    const assigned: string[] = [];
    const navigator: Navigator = {
      currentUrl: () => new URL(`${COGNITO.redirectUri}?error=access_denied`),
      assign: (url) => assigned.push(url),
      replacePath: vi.fn(),
    };
    const session = new AuthSession(new HostedUiClient(COGNITO, vi.fn(), sessionStorage), navigator);
    await session.start();
    renderWithSession(session);

    expect(screen.getByRole("alert")).toHaveTextContent("Sign-in failed: access_denied");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await vi.waitFor(() => expect(assigned[0]).toMatch(/^https:\/\/auth\.example\.test\/oauth2\/authorize/));
  });
});
