import { describe, expect, it } from "vitest";
import { activityLaunchUrl } from "./activityUrl";
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

describe("activityLaunchUrl", () => {
  it("adds the group and session to the activity's address, keeping its own query", () => {
    expect(activityLaunchUrl("https://writing.app-dw.net/start?lang=ja", 3, 41, "https://portal.test")).toBe(
      "https://writing.app-dw.net/start?lang=ja&group_id=3&session_id=41",
    );
  });

  it("resolves an address relative to the portal", () => {
    expect(activityLaunchUrl("/quiz", 1, 2, "https://portal.test")).toBe(
      "https://portal.test/quiz?group_id=1&session_id=2",
    );
  });
});
