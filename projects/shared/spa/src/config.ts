/**
 * Runtime configuration, read from /config.json when the app starts. The deploy pipeline
 * writes that file next to index.html so one build serves every environment; the copy in
 * public/ (no Cognito) is local mode.
 */
export interface CognitoConfig {
  /** Hosted UI origin, e.g. "https://auth.app-dw.net" (a bare host gets https://). */
  domain: string;
  clientId: string;
  /** Where the hosted UI sends the authorization code: this app's /auth/callback. */
  redirectUri: string;
  /** Where the hosted UI /logout sends the browser after clearing the shared session. */
  logoutUri: string;
  scopes: string[];
}

export interface RuntimeConfig {
  /** Prefix of every API path; "/api" when the ALB routes /api/* on the same origin. */
  apiBaseUrl: string;
  /** null = local mode: no sign-in, the API treats every request as its one local user. */
  cognito: CognitoConfig | null;
}

export class ConfigError extends Error {}

const DEFAULT_SCOPES = ["openid", "email", "profile"];

function requireString(source: Record<string, unknown>, key: string, where: string): string {
  const value = source[key];
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigError(`${where}.${key} must be a non-empty string`);
  }
  return value.trim();
}

function optionalString(source: Record<string, unknown>, key: string, where: string, fallback: string): string {
  return source[key] === undefined ? fallback : requireString(source, key, where);
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(`${where} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

export function parseConfig(raw: unknown, origin: string): RuntimeConfig {
  const root = asObject(raw, "config.json");
  const apiBaseUrl = optionalString(root, "apiBaseUrl", "config.json", "/api").replace(/\/+$/, "");
  if (root.cognito === null || root.cognito === undefined) {
    return { apiBaseUrl, cognito: null };
  }
  const cognito = asObject(root.cognito, "config.json cognito");
  const where = "config.json cognito";
  const domain = requireString(cognito, "domain", where).replace(/\/+$/, "");
  const scopes = cognito.scopes ?? DEFAULT_SCOPES;
  if (!Array.isArray(scopes) || scopes.some((scope) => typeof scope !== "string")) {
    throw new ConfigError(`${where}.scopes must be a list of strings`);
  }
  return {
    apiBaseUrl,
    cognito: {
      domain: /^https?:\/\//.test(domain) ? domain : `https://${domain}`,
      clientId: requireString(cognito, "clientId", where),
      redirectUri: optionalString(cognito, "redirectUri", where, `${origin}/auth/callback`),
      logoutUri: optionalString(cognito, "logoutUri", where, `${origin}/`),
      scopes: scopes as string[],
    },
  };
}

export async function loadConfig(fetchImpl: typeof fetch, origin: string): Promise<RuntimeConfig> {
  // no-store: a redeploy that changes config.json must reach browsers holding an old copy.
  const response = await fetchImpl("/config.json", { cache: "no-store" });
  if (!response.ok) {
    throw new ConfigError(`/config.json answered ${response.status}`);
  }
  let raw: unknown;
  try {
    raw = await response.json();
  } catch {
    throw new ConfigError("/config.json is not valid JSON");
  }
  return parseConfig(raw, origin);
}
