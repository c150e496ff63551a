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
