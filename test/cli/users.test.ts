import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collectUsers } from "../../src/cli/users.js";
import { userOutcomes } from "../../src/cli/render/bulk.js";
import type { AzirError } from "../../src/core/errors.js";

const dir = mkdtempSync(join(tmpdir(), "azir-users-unit-"));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return name;
};

describe("the users of a containment", () => {
  it("arguments, then the file (comments and blank lines skipped), then the JSON; each once, without regard to case", async () => {
    const users = await collectUsers(
      { args: ["alex@contoso.com"], usersFile: file("u.txt", "# sprayed accounts\nmorgan@contoso.com\n\n  ALEX@contoso.com \n"), usersFrom: file("u.json", '["priya@contoso.com", "morgan@contoso.com"]') },
      dir,
    );
    expect(users).toEqual(["alex@contoso.com", "morgan@contoso.com", "priya@contoso.com"]);
  });

  it("reads the users an azir document's findings are about, and {users: [...]}", async () => {
    const doc = { schema: "azir.timeline/1", findings: [{ data: { subject: "alex@contoso.com" } }, { data: { subject: "/subscriptions/x/resourceGroups/y" } }, { data: {} }, { data: { subject: "sam@contoso.com" } }] };
    expect(await collectUsers({ args: [], usersFrom: file("doc.json", JSON.stringify(doc)) }, dir)).toEqual(["alex@contoso.com", "sam@contoso.com"]);
    expect(await collectUsers({ args: [], usersFrom: file("obj.json", '{"users": ["kim@fabrikam.example"]}') }, dir)).toEqual(["kim@fabrikam.example"]);
  });

  it("refuses the whole list for one bad entry, naming each and where it is", async () => {
    const error = (await collectUsers({ args: ["alex@contoso.com", "bad user"], usersFile: file("bad.txt", "ok@contoso.com\n../etc/passwd\n") }, dir).catch((e: unknown) => e)) as AzirError;
    expect(error.code).toBe("usage");
    expect(error.details).toEqual(['argument 2: "bad user"', 'bad.txt:2: "../etc/passwd"']);
  });

  it("refuses JSON that is not a list of users, and an empty list", async () => {
    await expect(collectUsers({ args: [], usersFrom: file("x.json", "{not json") }, dir)).rejects.toThrow(/not JSON/);
    await expect(collectUsers({ args: [], usersFrom: file("y.json", '{"value": 3}') }, dir)).rejects.toThrow(/no list of users/);
    await expect(collectUsers({ args: [] }, dir)).rejects.toThrow(/no user to contain/);
  });
});

describe("each user's outcome", () => {
  const bulk = { sections: [{ upn: "a@contoso.com", prefix: "u1-", steps: [] }, { upn: "b@contoso.com", prefix: "u2-", steps: [] }], refused: ["bg@contoso.com"] };
  const step = (id: string, status: "completed" | "skipped" | "failed" | "needs-decision" | "not-run" | "resumed", summary = "") => ({ id, kind: "action" as const, status, summary });

  it("contained only when every action completed or was already in effect; failures and 'not done' named; refused accounts listed", () => {
    const out = userOutcomes(
      bulk,
      [step("u1-block", "completed"), step("u1-revoke", "resumed"), step("u1-confirm-compromised", "skipped"), step("u2-block", "failed", "Graph answered 403"), step("u2-confirm-compromised", "skipped")],
      new Map([
        ["u1-confirm-compromised", "already confirmed compromised"],
        ["u2-confirm-compromised", "not done: the tenant has no Entra ID P2 licence"],
      ]),
      false,
    );
    expect(out.map((u) => [u.upn, u.state])).toEqual([
      ["a@contoso.com", "contained"],
      ["b@contoso.com", "not-contained"],
      ["bg@contoso.com", "refused"],
    ]);
    expect(out[1]!.problems).toEqual(["block: failed: Graph answered 403", "confirm-compromised: not done: the tenant has no Entra ID P2 licence"]);
  });
});
