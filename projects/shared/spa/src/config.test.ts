import { describe, expect, it, vi } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "./config";

const ORIGIN = "https://lang-portal.app-dw.net";

describe("runtime config", () => {
  it("treats a config without cognito as local mode", () => {
    expect(parseConfig({ apiBaseUrl: "/api/", cognito: null }, ORIGIN)).toEqual({ apiBaseUrl: "/api", cognito: null });
    expect(parseConfig({}, ORIGIN)).toEqual({ apiBaseUrl: "/api", cognito: null });
  });

  it("fills the Cognito redirect, logout address and scopes from the page's origin", () => {
    const config = parseConfig({ cognito: { domain: "auth.app-dw.net", clientId: "abc" } }, ORIGIN);
    expect(config.cognito).toEqual({
      domain: "https://auth.app-dw.net",
      clientId: "abc",
      redirectUri: `${ORIGIN}/auth/callback`,
      logoutUri: `${ORIGIN}/`,
      scopes: ["openid", "email", "profile"],
    });
  });

  it("names the field that is wrong", () => {
    expect(() => parseConfig({ cognito: { domain: "auth.app-dw.net" } }, ORIGIN)).toThrow(
      new ConfigError("config.json cognito.clientId must be a non-empty string"),
    );
    expect(() => parseConfig({ cognito: { domain: "d", clientId: "c", scopes: "openid" } }, ORIGIN)).toThrow(/scopes/);
    expect(() => parseConfig([], ORIGIN)).toThrow(/JSON object/);
  });

  it("loads /config.json without the HTTP cache and reports a missing file", async () => {
    const fetchMock = vi.fn(async () => Response.json({ cognito: null }));
    await expect(loadConfig(fetchMock, ORIGIN)).resolves.toEqual({ apiBaseUrl: "/api", cognito: null });
    expect(fetchMock).toHaveBeenCalledWith("/config.json", { cache: "no-store" });

    const missing = vi.fn(async () => new Response("nope", { status: 404 }));
    await expect(loadConfig(missing, ORIGIN)).rejects.toThrow("/config.json answered 404");
  });
});
