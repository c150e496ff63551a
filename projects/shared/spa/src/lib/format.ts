const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** The API's timestamps are UTC; one without an offset is read as UTC, not local time. */
export function parseApiTime(value: string): Date {
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
}

export function formatDateTime(value: string | null | undefined): string {
  if (!value) return "—";
  const date = parseApiTime(value);
  return Number.isNaN(date.getTime()) ? value : dateTime.format(date);
}

export function formatPercent(value: number): string {
  return `${Math.round(value)}%`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}
