import { describe, expect, it } from "vitest";
import { activityLaunchUrl } from "./activityUrl";

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
