import { describe, expect, it, vi } from "vitest";
import { COGNITO, tokenResponse } from "../test/cognito";
import { HostedUiClient, SignInError } from "./hostedUi";
import { codeChallengeS256 } from "./pkce";

function pendingSignIn(): { state: string; verifier: string; returnTo: string } {
  return JSON.parse(sessionStorage.getItem("lang-portal.pending-sign-in")!);
}

describe("HostedUiClient", () => {
  it("sends the browser to /oauth2/authorize with a PKCE challenge and a state it remembers", async () => {
    const client = new HostedUiClient(COGNITO, vi.fn(), sessionStorage);
    const url = new URL(await client.authorizeUrl("/words?page=2"));
    const pending = pendingSignIn();

    expect(url.origin + url.pathname).toBe("https://auth.example.test/oauth2/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: "client-123",
      redirect_uri: COGNITO.redirectUri,
      scope: "openid email",
      state: pending.state,
      code_challenge: await codeChallengeS256(pending.verifier),
      code_challenge_method: "S256",
    });
    expect(pending.returnTo).toBe("/words?page=2");
  });

  it("exchanges the callback's code with the verifier, once", async () => {
    const fetchMock = vi.fn(async () => tokenResponse());
    const client = new HostedUiClient(COGNITO, fetchMock, sessionStorage, () => 1_000);
    await client.authorizeUrl("/groups");
    const { state, verifier } = pendingSignIn();

    const result = await client.completeSignIn(new URL(`${COGNITO.redirectUri}?code=the-code&state=${state}`));

    expect(result).toEqual({
      returnTo: "/groups",
      tokens: expect.objectContaining({
        accessToken: "access-1",
        refreshToken: "refresh-1",
        expiresAt: 1_000 + 3_600_000,
      }),
    });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("https://auth.example.test/oauth2/token");
    expect(Object.fromEntries(init.body as URLSearchParams)).toEqual({
      grant_type: "authorization_code",
      code: "the-code",
      redirect_uri: COGNITO.redirectUri,
      code_verifier: verifier,
      client_id: "client-123",
    });
    expect(sessionStorage.getItem("lang-portal.pending-sign-in")).toBeNull();
  });

  it("refuses a callback whose state this tab did not send", async () => {
    const fetchMock = vi.fn();
    const client = new HostedUiClient(COGNITO, fetchMock, sessionStorage);
    await client.authorizeUrl("/");
    await expect(client.completeSignIn(new URL(`${COGNITO.redirectUri}?code=c&state=forged`))).rejects.toBeInstanceOf(
      SignInError,
    );
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("reports the hosted UI's own error", async () => {
    const client = new HostedUiClient(COGNITO, vi.fn(), sessionStorage);
    await expect(
      client.completeSignIn(new URL(`${COGNITO.redirectUri}?error=access_denied&error_description=User+cancelled`)),
    ).rejects.toThrow("Sign-in failed: User cancelled");
  });

  it("keeps the refresh token when Cognito's refresh answer has none", async () => {
    const fetchMock = vi.fn(async () => tokenResponse({ access_token: "access-2", refresh_token: undefined }));
    const client = new HostedUiClient(COGNITO, fetchMock, sessionStorage);
    const tokens = await client.refresh("refresh-1");
    expect(tokens).toMatchObject({ accessToken: "access-2", refreshToken: "refresh-1" });
    const init = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(Object.fromEntries(init[1].body as URLSearchParams)).toEqual({
      grant_type: "refresh_token",
      refresh_token: "refresh-1",
      client_id: "client-123",
    });
  });

  it("turns a refused token request into a SignInError", async () => {
    const client = new HostedUiClient(
      COGNITO,
      vi.fn(async () => Response.json({ error: "invalid_grant" }, { status: 400 })),
      sessionStorage,
    );
    await expect(client.refresh("expired")).rejects.toThrow("The sign-in service refused the request (invalid_grant).");
  });

  it("logs out through the hosted UI so every app's shared session ends", () => {
    const client = new HostedUiClient(COGNITO, vi.fn(), sessionStorage);
    expect(client.logoutUrl()).toBe(
      "https://auth.example.test/logout?client_id=client-123&logout_uri=https%3A%2F%2Fportal.example.test%2F",
    );
    expect(client.isCallback(new URL(`${COGNITO.redirectUri}?code=x`))).toBe(true);
    expect(client.isCallback(new URL("https://portal.example.test/dashboard"))).toBe(false);
  });
});
