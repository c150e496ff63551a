/**
 * JSON over fetch for the Lang Portal API: the bearer token on every request (one retry with
 * a refreshed token on 401), errors as ApiError with the API's own message, and the API's
 * page envelope.
 */
import type { TokenOptions } from "../auth/session";

export interface Pagination {
  current_page: number;
  total_pages: number;
  total_items: number;
  items_per_page: number;
}

export interface Page<T> {
  items: T[];
  pagination: Pagination;
}

export type SortOrder = "asc" | "desc";

export interface PageQuery {
  page?: number;
  sort_by?: string;
  order?: SortOrder;
  /** A search, where the list offers one (words: Japanese, kana, romaji or English). */
  q?: string;
}

export type TokenProvider = (options?: TokenOptions) => Promise<string | null>;

type QueryValue = string | number | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  signal?: AbortSignal;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const NETWORK_ERROR_MESSAGE = "Cannot reach the Lang Portal API. Check your connection and try again.";

/** FastAPI answers {"detail": "..."} or, for validation, {"detail": [{"msg": ...}]}. */
export function errorMessageFrom(body: unknown, status: number): string {
  if (typeof body === "object" && body !== null) {
    const { detail, message, error } = body as Record<string, unknown>;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      const messages = detail
        .map((item) => (typeof item === "object" && item !== null ? (item as { msg?: unknown }).msg : item))
        .filter((msg): msg is string => typeof msg === "string");
      if (messages.length > 0) return messages.join("; ");
    }
    if (typeof message === "string") return message;
    if (typeof error === "string") return error;
  }
  return `The API answered with status ${status}.`;
}

export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly getToken: TokenProvider,
    // Resolved per call (not bound at construction) so tests can stub the global fetch.
    private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>("GET", path, undefined, options);
  }

  post<T>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>("POST", path, body, options);
  }

  getPage<T>(path: string, query: PageQuery = {}, signal?: AbortSignal): Promise<Page<T>> {
    return this.get<Page<T>>(path, { query: { ...query }, signal });
  }

  /** Every item of a paginated list, page after page (for pickers that need them all). */
  async getAllPages<T>(path: string, query: Omit<PageQuery, "page"> = {}, signal?: AbortSignal): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const result = await this.getPage<T>(path, { ...query, page }, signal);
      items.push(...result.items);
      if (page >= result.pagination.total_pages || result.items.length === 0) return items;
    }
  }

  private url(path: string, query: Record<string, QueryValue> = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) params.set(key, String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ""}`;
  }

  private async request<T>(method: string, path: string, body: unknown, options: RequestOptions): Promise<T> {
    let token = await this.getToken();
    let response = await this.send(method, path, body, options, token);
    if (response.status === 401 && token !== null) {
      // The token may have been revoked or expired early: one refresh, one retry.
      token = await this.getToken({ refused: token });
      if (token !== null) response = await this.send(method, path, body, options, token);
    }
    return this.parse<T>(response);
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    options: RequestOptions,
    token: string | null,
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    try {
      return await this.fetchImpl(this.url(path, options.query), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new ApiError(0, NETWORK_ERROR_MESSAGE);
    }
  }

  private async parse<T>(response: Response): Promise<T> {
    const text = await response.text();
    let body: unknown = undefined;
    if (text !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        if (response.ok) throw new ApiError(response.status, "The API answered with something that is not JSON.");
      }
    }
    if (!response.ok) throw new ApiError(response.status, errorMessageFrom(body, response.status));
    return body as T;
  }
}
