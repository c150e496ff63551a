/**
 * The Cognito hosted UI's OAuth endpoints: authorization code + PKCE for a public client
 * (no secret in the browser), refresh, and /logout, which ends the hosted UI session that
 * every *.app-dw.net app shares.
 */
import type { CognitoConfig } from "../config";
import { codeChallengeS256, randomUrlSafeString } from "./pkce";

export interface TokenSet {
  accessToken: string;
  idToken: string;
  refreshToken: string | null;
  /** Epoch milliseconds when the access token stops being accepted. */
  expiresAt: number;
}

export class SignInError extends Error {}

/** The verifier must outlive the round trip to the hosted UI, so it waits in sessionStorage
 * (this tab only) and is deleted when the callback uses it; tokens never touch storage. */
const PENDING_SIGN_IN_KEY = "lang-portal.pending-sign-in";

interface PendingSignIn {
  state: string;
  verifier: string;
  returnTo: string;
}

interface TokenResponse {
  access_token: string;
  id_token: string;
  refresh_token?: string;
  expires_in: number;
}

export class HostedUiClient {
  constructor(
    private readonly config: CognitoConfig,
    private readonly fetchImpl: typeof fetch,
    private readonly storage: Storage,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether this URL is the hosted UI coming back to us. */
  isCallback(url: URL): boolean {
    const redirect = new URL(this.config.redirectUri);
    return url.origin === redirect.origin && url.pathname === redirect.pathname;
  }

  async authorizeUrl(returnTo: string): Promise<string> {
    const pending: PendingSignIn = { state: randomUrlSafeString(), verifier: randomUrlSafeString(), returnTo };
    this.storage.setItem(PENDING_SIGN_IN_KEY, JSON.stringify(pending));
    const url = new URL(`${this.config.domain}/oauth2/authorize`);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: this.config.clientId,
      redirect_uri: this.config.redirectUri,
      scope: this.config.scopes.join(" "),
      state: pending.state,
      code_challenge: await codeChallengeS256(pending.verifier),
      code_challenge_method: "S256",
    }).toString();
    return url.href;
  }

  /** Exchanges the callback's code for tokens; returns them with the path to go back to. */
  async completeSignIn(callback: URL): Promise<{ tokens: TokenSet; returnTo: string }> {
    const stored = this.storage.getItem(PENDING_SIGN_IN_KEY);
    this.storage.removeItem(PENDING_SIGN_IN_KEY);
    const params = callback.searchParams;
    const error = params.get("error");
    if (error) {
      throw new SignInError(`Sign-in failed: ${params.get("error_description") ?? error}`);
    }
    const pending = stored ? (JSON.parse(stored) as PendingSignIn) : null;
    const code = params.get("code");
    // A state that does not match the one this tab sent means the callback was not ours (CSRF).
    if (!pending || !code || params.get("state") !== pending.state) {
      throw new SignInError("Sign-in could not be completed: the answer from the sign-in page did not match this tab.");
    }
    const tokens = await this.requestTokens(
      {
        grant_type: "authorization_code",
        code,
        redirect_uri: this.config.redirectUri,
        code_verifier: pending.verifier,
      },
      null,
    );
    return { tokens, returnTo: pending.returnTo };
  }

  refresh(refreshToken: string): Promise<TokenSet> {
    return this.requestTokens({ grant_type: "refresh_token", refresh_token: refreshToken }, refreshToken);
  }

  logoutUrl(): string {
    const url = new URL(`${this.config.domain}/logout`);
    url.search = new URLSearchParams({ client_id: this.config.clientId, logout_uri: this.config.logoutUri }).toString();
    return url.href;
  }

  private async requestTokens(grant: Record<string, string>, currentRefreshToken: string | null): Promise<TokenSet> {
    const requestedAt = this.now();
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.config.domain}/oauth2/token`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ ...grant, client_id: this.config.clientId }),
      });
    } catch {
      throw new SignInError("Cannot reach the sign-in service. Check your connection and try again.");
    }
    const body = (await response.json().catch(() => ({}))) as Partial<TokenResponse> & { error?: string };
    if (!response.ok || !body.access_token || !body.id_token || !body.expires_in) {
      throw new SignInError(`The sign-in service refused the request (${body.error ?? response.status}).`);
    }
    return {
      accessToken: body.access_token,
      idToken: body.id_token,
      // Cognito does not rotate refresh tokens: a refresh answer carries none, keep ours.
      refreshToken: body.refresh_token ?? currentRefreshToken,
      expiresAt: requestedAt + body.expires_in * 1000,
    };
  }
}
