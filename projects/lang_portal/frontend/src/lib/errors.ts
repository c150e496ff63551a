import { ApiError } from "../api/client";

/** What a learner is told about a failed request: the API's own words where they are meant for them
 * (not found, invalid input), plain advice for outages and rate limits. */
export function learnerMessage(error: Error): string {
  if (!(error instanceof ApiError) || error.status === 0) return error.message;
  if (error.status === 429) return "Too many requests at once. Wait a few seconds and try again.";
  if (error.status >= 500) return "The Lang Portal could not answer just now. Try again in a moment.";
  return error.message;
}

/** Whether trying the same request again can help (outages, rate limits, no connection). */
export function worthRetrying(error: Error): boolean {
  return !(error instanceof ApiError) || error.status === 0 || error.status === 429 || error.status >= 500;
}

export function isNotFound(error: Error): boolean {
  return error instanceof ApiError && error.status === 404;
}
