import { describe, expect, it } from "vitest";
import { fitTable, truncate, visibleLength, wrapLine } from "../../src/cli/render/layout.js";

describe("fitting text to the terminal", () => {
  it("wraps at spaces with a hanging indent, never inside a word", () => {
    const line = "  2026-11-28 11:55Z  alex@contoso.com signed in successfully from a new country NL (45.137.20.14, NL, ASN 9009, OfficeHome)";
    const lines = wrapLine(line, 40);
    expect(lines.every((l) => visibleLength(l) <= 40)).toBe(true);
    expect(lines.slice(1).every((l) => l.startsWith("      "))).toBe(true);
    const words = line.trim().split(/\s+/);
    expect(lines.join(" ").trim().split(/\s+/)).toEqual(words);
  });

  it("breaks a word longer than the line only at a joint (/ , ;)", () => {
    const id = "/subscriptions/b3f5c1d2-6a7e-4f80-9c1d-2e3f4a5b6c7d/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-web-01";
    const lines = wrapLine(`  ${id}`, 50);
    expect(lines.every((l) => visibleLength(l) <= 50)).toBe(true);
    expect(lines.slice(0, -1).every((l) => l.trimEnd().endsWith("/"))).toBe(true);
    expect(lines.map((l) => l.trim()).join("")).toBe(id);
  });

  it("ignores colour escapes when measuring", () => {
    expect(visibleLength("\u001b[31mred\u001b[39m")).toBe(3);
    expect(wrapLine("\u001b[31mshort\u001b[39m", 10)).toEqual(["\u001b[31mshort\u001b[39m"]);
  });

  it("shrinks the widest columns first and cuts cells at a word boundary", () => {
    const rows = [["2026-11-28 11:55Z", "Office 365 Exchange Online", "new-asn-success new-country-success legacy-auth"]];
    const lines = fitTable(["time", "app", "flags"], rows, 60);
    expect(lines.every((l) => l.length <= 60)).toBe(true);
    expect(lines[1]).toContain("2026-11-28 11:55Z");
    expect(truncate("new-asn-success new-country-success", 20)).toBe("new-asn-success…");
  });
});
