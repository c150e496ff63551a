import { HostedUiClient } from "../auth/hostedUi";
import { AuthSession, type Navigator } from "../auth/session";
import type { CognitoConfig } from "../config";

export const COGNITO: CognitoConfig = {
  domain: "https://auth.example.test",
  clientId: "client-123",
  redirectUri: "https://portal.example.test/auth/callback",
  logoutUri: "https://portal.example.test/",
  scopes: ["openid", "email"],
};

function base64Url(value: string): string {
  return btoa(value).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** An unsigned JWT-shaped token carrying these claims (the browser only reads claims). */
export function fakeJwt(claims: Record<string, unknown>): string {
  return `${base64Url(JSON.stringify({ alg: "RS256" }))}.${base64Url(JSON.stringify(claims))}.signature`;
}

export function tokenResponse(overrides: Record<string, unknown> = {}): Response {
  return Response.json({
    access_token: "access-1",
    id_token: fakeJwt({ email: "learner@example.test" }),
    refresh_token: "refresh-1",
    expires_in: 3600,
    token_type: "Bearer",
    ...overrides,
  });
}

/** A browser address bar for AuthSession: records where it was sent, and lets the test move it. */
export function fakeNavigator(start: string) {
  const navigator: Navigator & { assigned: string[]; current: URL } = {
    assigned: [],
    current: new URL(start),
    currentUrl: () => navigator.current,
    assign: (url) => navigator.assigned.push(url),
    replacePath: (path) => {
      navigator.current = new URL(path, navigator.current);
    },
  };
  return navigator;
}

/** A session signed in through the whole hosted UI round trip, on a clock the test can move. */
export async function signedInSession(fetchMock: typeof fetch, clock = { now: Date.now() }) {
  const hostedUi = new HostedUiClient(COGNITO, fetchMock, sessionStorage, () => clock.now);
  const navigator = fakeNavigator("https://portal.example.test/words");
  const session = new AuthSession(hostedUi, navigator, () => clock.now);
  await session.start();
  const { state } = JSON.parse(sessionStorage.getItem("lang-portal.pending-sign-in")!);
  navigator.current = new URL(`${COGNITO.redirectUri}?code=c&state=${state}`);
  await session.start();
  return { session, navigator, hostedUi };
}
