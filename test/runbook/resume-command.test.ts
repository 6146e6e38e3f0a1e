import { describe, expect, it } from "vitest";
import { resumeCommand } from "../../src/runbook/resume.js";

describe("resumeCommand", () => {
  it("names the runbook and the parameters of its subject, so that the resume is not asked about", () => {
    const runbook = { id: "contain-user", subject: "{{ params.upn }}" };
    expect(resumeCommand(runbook, { upn: "alex@contoso.com", lookbackDays: 14 }, "/out/alex/timeline.jsonl")).toBe(
      "azir run contain-user --param upn=alex@contoso.com --resume /out/alex/timeline.jsonl",
    );
  });

  it("names every given parameter when the subject names none of them (a run over several users)", () => {
    const runbook = { id: "contain-user", subject: "alex@contoso.com and 1 more" };
    expect(resumeCommand(runbook, { users: "alex@contoso.com,morgan@contoso.com", note: null }, "j.jsonl")).toBe(
      "azir run contain-user --param users=alex@contoso.com,morgan@contoso.com --resume j.jsonl",
    );
  });

  it("quotes what a shell would split or expand, and leaves a placeholder when the journal is not known", () => {
    const runbook = { id: "harden-user", subject: "{{ params.upn }}" };
    expect(resumeCommand(runbook, { upn: "o'neil $HOME@contoso.com" }, "/my runs/t.jsonl")).toBe(
      `azir run harden-user --param 'upn=o'\\''neil $HOME@contoso.com' --resume '/my runs/t.jsonl'`,
    );
    expect(resumeCommand(runbook, { upn: "a@b.c" })).toBe("azir run harden-user --param upn=a@b.c --resume <journal>");
    expect(resumeCommand(runbook, { upn: "a@b.c" }, "j.jsonl", ["--tabletop=my scenario", "--dry-run"])).toBe("azir run harden-user --param upn=a@b.c --resume j.jsonl '--tabletop=my scenario' --dry-run");
  });
});
