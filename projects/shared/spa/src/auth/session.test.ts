import { afterEach, describe, expect, it, vi } from "vitest";
import { COGNITO, fakeJwt, fakeNavigator, signedInSession, tokenResponse } from "../test/cognito";
import { HostedUiClient } from "./hostedUi";
import { AuthSession, LOCAL_USER, REFRESH_MARGIN_MS } from "./session";

/** Signed in with access-1; the hosted UI answers one refresh with access-2 (and no new refresh token). */
async function sessionWithOneRefresh(clock: { now: number }) {
  const fetchMock = vi
    .fn()
    .mockResolvedValueOnce(tokenResponse())
    .mockResolvedValueOnce(tokenResponse({ access_token: "access-2", refresh_token: undefined }));
  return { ...(await signedInSession(fetchMock, clock)), fetchMock };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("AuthSession", () => {
  it("is signed in as the local user without Cognito, and sends no token", async () => {
    const session = new AuthSession(null, fakeNavigator("http://127.0.0.1/"));
    await session.start();
    expect(session.getState()).toEqual({ status: "signed-in", mode: "local", user: LOCAL_USER });
    await expect(session.getAccessToken()).resolves.toBeNull();
  });

  it("goes to the hosted UI at once when nobody is signed in, remembering the page", async () => {
    const navigator = fakeNavigator("https://portal.example.test/words?page=3");
    const session = new AuthSession(new HostedUiClient(COGNITO, vi.fn(), sessionStorage), navigator);
    await session.start();
    expect(navigator.assigned[0]).toMatch(/^https:\/\/auth\.example\.test\/oauth2\/authorize\?/);
    expect(JSON.parse(sessionStorage.getItem("lang-portal.pending-sign-in")!).returnTo).toBe("/words?page=3");
  });

  it("completes the callback: tokens in memory, user from the id token, address back to the page", async () => {
    const clock = { now: 0 };
    const fetchMock = vi.fn(async () => tokenResponse({ id_token: fakeJwt({ email: "ana@example.test" }) }));
    const { session, navigator } = await signedInSession(fetchMock, clock);
    expect(session.getState()).toEqual({
      status: "signed-in",
      mode: "cognito",
      user: { name: "ana@example.test", email: "ana@example.test" },
    });
    expect(navigator.currentUrl().pathname).toBe("/words");
    await expect(session.getAccessToken()).resolves.toBe("access-1");
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
  });

  it("shows why when the callback fails, instead of looping back to the hosted UI", async () => {
    const navigator = fakeNavigator(`${COGNITO.redirectUri}?error=access_denied`);
    const session = new AuthSession(new HostedUiClient(COGNITO, vi.fn(), sessionStorage), navigator);
    await session.start();
    expect(session.getState()).toEqual({ status: "signed-out", message: "Sign-in failed: access_denied" });
    expect(navigator.assigned).toEqual([]);
  });

  it("refreshes once for concurrent callers when the token is about to expire", async () => {
    const clock = { now: 0 };
    const { session, fetchMock } = await sessionWithOneRefresh(clock);

    clock.now = 3_600_000 - REFRESH_MARGIN_MS + 1;
    const tokens = await Promise.all([session.getAccessToken(), session.getAccessToken(), session.getAccessToken()]);

    expect(tokens).toEqual(["access-2", "access-2", "access-2"]);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    session.dispose();
  });

  it("refreshes for a refused token once, however many requests it refused", async () => {
    const clock = { now: 0 };
    const { session, fetchMock } = await sessionWithOneRefresh(clock);

    // Three requests went out with access-1; one 401 arrives before the refresh, two after it.
    const first = await session.getAccessToken({ refused: "access-1" });
    const late = await Promise.all([
      session.getAccessToken({ refused: "access-1" }),
      session.getAccessToken({ refused: "access-1" }),
    ]);

    expect([first, ...late]).toEqual(["access-2", "access-2", "access-2"]);
    expect(fetchMock).toHaveBeenCalledTimes(2); // the code exchange and one refresh
    session.dispose();
  });

  it("refreshes on its own before expiry", async () => {
    vi.useFakeTimers();
    const clock = { now: 0 };
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(tokenResponse())
      .mockResolvedValueOnce(tokenResponse({ access_token: "access-2" }));
    const { session } = await signedInSession(fetchMock, clock);

    clock.now = 3_600_000 - REFRESH_MARGIN_MS;
    await vi.advanceTimersByTimeAsync(3_600_000 - REFRESH_MARGIN_MS);

    expect(fetchMock).toHaveBeenCalledTimes(2);
    await expect(session.getAccessToken()).resolves.toBe("access-2");
    session.dispose();
  });

  it("signs out with a message when the refresh token is refused", async () => {
    const clock = { now: 0 };
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(tokenResponse())
      .mockResolvedValueOnce(Response.json({ error: "invalid_grant" }, { status: 400 }));
    const { session } = await signedInSession(fetchMock, clock);

    await expect(session.getAccessToken({ refused: "access-1" })).resolves.toBeNull();
    expect(session.getState()).toMatchObject({
      status: "signed-out",
      message: expect.stringMatching(/session has expired/),
    });
    await expect(session.getAccessToken()).resolves.toBeNull();
  });

  it("signs out by forgetting the tokens and ending the hosted UI session", async () => {
    const clock = { now: 0 };
    const { session, navigator } = await signedInSession(
      vi.fn(async () => tokenResponse()),
      clock,
    );
    const listener = vi.fn();
    session.subscribe(listener);

    session.signOut();

    expect(navigator.assigned.at(-1)).toBe(
      "https://auth.example.test/logout?client_id=client-123&logout_uri=https%3A%2F%2Fportal.example.test%2F",
    );
    expect(session.getState()).toEqual({ status: "signed-out", message: null });
    expect(listener).toHaveBeenCalled();
    await expect(session.getAccessToken()).resolves.toBeNull();
  });
});
