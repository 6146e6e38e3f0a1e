import { describe, expect, it } from "vitest";
import { timelineJsonSchema } from "../../src/timeline/document.js";
import { eventJsonSchema } from "../../src/timeline/event.js";

// The published schemas are part of azir's interface (ticketing pipes validate against them): a change must show
// up as a diff of these files. Update with `npx vitest run test/timeline -u` when the change is intended.
describe("published JSON Schemas", () => {
  it("timeline document", async () => {
    await expect(`${JSON.stringify(timelineJsonSchema(), null, 2)}\n`).toMatchFileSnapshot("./schemas/timeline-document.schema.json");
  });

  it("timeline event", async () => {
    await expect(`${JSON.stringify(eventJsonSchema(), null, 2)}\n`).toMatchFileSnapshot("./schemas/timeline-event.schema.json");
  });

  it("declares the draft and the document's version tag", () => {
    const schema = timelineJsonSchema() as { $schema: string; $defs: Record<string, { properties?: Record<string, unknown> }> };
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$defs.TimelineDocument?.properties?.schema).toMatchObject({ const: "azir.timeline/v2" });
    expect(Object.keys(schema.$defs)).toEqual(expect.arrayContaining(["TimelineEvent", "FindingEvent", "ActionEvent", "GapEvent", "RunSummary"]));
  });
});
