/**
 * Who is signed in, and a fresh access token on demand. Tokens live in this object only
 * (memory): a reload signs in again through the hosted UI, which answers at once while its
 * shared session lasts.
 */
import { HostedUiClient, SignInError, type TokenSet } from "./hostedUi";
import { decodeJwtClaims } from "./jwt";

export interface User {
  name: string;
  email: string | null;
}

export type AuthState =
  | { status: "starting" }
  | { status: "signed-in"; mode: "local" | "cognito"; user: User }
  | { status: "signed-out"; message: string | null };

export interface TokenOptions {
  /** The token the API just refused: refresh, unless another caller's refresh already replaced it. */
  refused?: string;
}

/** Refresh this long before expiry so no request goes out with a token about to lapse. */
export const REFRESH_MARGIN_MS = 2 * 60 * 1000;

export const LOCAL_USER: User = { name: "Local user", email: null };

export interface Navigator {
  currentUrl(): URL;
  /** Leaves the app (to the hosted UI). */
  assign(url: string): void;
  /** Rewrites the address bar without a reload (drops ?code=... after the callback). */
  replacePath(path: string): void;
}

export const browserNavigator: Navigator = {
  currentUrl: () => new URL(window.location.href),
  assign: (url) => window.location.assign(url),
  replacePath: (path) => window.history.replaceState(null, "", path),
};

function userFromIdToken(idToken: string): User {
  const claims = decodeJwtClaims(idToken);
  const email = typeof claims.email === "string" ? claims.email : null;
  const username = typeof claims["cognito:username"] === "string" ? claims["cognito:username"] : null;
  return { name: email ?? username ?? "Signed-in user", email };
}

export class AuthSession {
  private state: AuthState = { status: "starting" };
  private tokens: TokenSet | null = null;
  private refreshing: Promise<string | null> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly hostedUi: HostedUiClient | null,
    private readonly navigator: Navigator = browserNavigator,
    private readonly now: () => number = Date.now,
  ) {}

  getState = (): AuthState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Settles who is signed in: local mode, the hosted UI's callback, or a fresh sign-in. */
  async start(): Promise<void> {
    if (!this.hostedUi) {
      this.setState({ status: "signed-in", mode: "local", user: LOCAL_USER });
      return;
    }
    const url = this.navigator.currentUrl();
    if (!this.hostedUi.isCallback(url)) {
      await this.signIn();
      return;
    }
    try {
      const { tokens, returnTo } = await this.hostedUi.completeSignIn(url);
      this.navigator.replacePath(returnTo);
      this.acceptTokens(tokens);
    } catch (error) {
      this.navigator.replacePath("/");
      this.setState({ status: "signed-out", message: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Goes to the hosted UI, which brings the browser back to `returnTo` (default: here). */
  async signIn(returnTo?: string): Promise<void> {
    if (!this.hostedUi) return;
    const here = this.navigator.currentUrl();
    this.navigator.assign(await this.hostedUi.authorizeUrl(returnTo ?? here.pathname + here.search + here.hash));
  }

  /** Forgets the tokens and ends the hosted UI session shared by all *.app-dw.net apps. */
  signOut(): void {
    if (!this.hostedUi) return;
    this.forgetTokens();
    this.setState({ status: "signed-out", message: null });
    this.navigator.assign(this.hostedUi.logoutUrl());
  }

  /** The bearer token for the API; null in local mode. Refreshes when close to expiry. */
  getAccessToken = async (options: TokenOptions = {}): Promise<string | null> => {
    if (!this.hostedUi || !this.tokens) return null;
    const refusedNow = options.refused !== undefined && options.refused === this.tokens.accessToken;
    if (!refusedNow && this.tokens.expiresAt - this.now() > REFRESH_MARGIN_MS) {
      return this.tokens.accessToken;
    }
    return this.refreshOnce();
  };

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.listeners.clear();
  }

  /** Concurrent callers share one refresh request instead of racing with the same token. */
  private refreshOnce(): Promise<string | null> {
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refresh(): Promise<string | null> {
    const refreshToken = this.tokens?.refreshToken;
    if (!this.hostedUi || !refreshToken) {
      this.expire("Your session has ended. Sign in again to continue.");
      return null;
    }
    try {
      this.acceptTokens(await this.hostedUi.refresh(refreshToken));
      return this.tokens?.accessToken ?? null;
    } catch (error) {
      const reason = error instanceof SignInError ? ` (${error.message})` : "";
      this.expire(`Your session has expired. Sign in again to continue.${reason}`);
      return null;
    }
  }

  private acceptTokens(tokens: TokenSet): void {
    this.tokens = tokens;
    clearTimeout(this.refreshTimer);
    const delay = Math.max(0, tokens.expiresAt - REFRESH_MARGIN_MS - this.now());
    this.refreshTimer = setTimeout(() => void this.refreshOnce(), delay);
    this.setState({ status: "signed-in", mode: "cognito", user: userFromIdToken(tokens.idToken) });
  }

  private expire(message: string): void {
    this.forgetTokens();
    this.setState({ status: "signed-out", message });
  }

  private forgetTokens(): void {
    this.tokens = null;
    clearTimeout(this.refreshTimer);
  }

  private setState(state: AuthState): void {
    this.state = state;
    for (const listener of this.listeners) listener();
  }
}
