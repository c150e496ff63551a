import { describe, expect, it } from "vitest";
import { formatDateTime, parseApiTime, plural } from "./format";

describe("formatting", () => {
  it("reads the API's offset-less timestamps as UTC", () => {
    expect(parseApiTime("2025-03-01T10:00:00").toISOString()).toBe("2025-03-01T10:00:00.000Z");
    expect(parseApiTime("2025-03-01T10:00:00.123456").toISOString()).toBe("2025-03-01T10:00:00.123Z");
    expect(parseApiTime("2025-03-01T10:00:00+02:00").toISOString()).toBe("2025-03-01T08:00:00.000Z");
    expect(parseApiTime("2025-03-01T10:00:00Z").toISOString()).toBe("2025-03-01T10:00:00.000Z");
  });

  it("shows a dash for a missing time and the raw text for one it cannot read", () => {
    expect(formatDateTime(null)).toBe("—");
    expect(formatDateTime("soon")).toBe("soon");
  });

  it("counts in the singular and plural", () => {
    expect(plural(1, "word")).toBe("1 word");
    expect(plural(1200, "word")).toBe("1,200 words");
  });
});
