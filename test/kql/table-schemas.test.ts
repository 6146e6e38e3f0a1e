import { describe, expect, it } from "vitest";
import { analyzeKql } from "../../src/kql/engine/kusto-language.js";
import { tableSchemas } from "../../src/kql/tables.js";

describe("declared table schemas", () => {
  it("declare every documented column of the tables azir knows, and the tables responders pair with them", () => {
    const size = (t: string) => tableSchemas[t]?.length ?? 0;
    expect(size("OfficeActivity")).toBeGreaterThanOrEqual(129);
    expect(size("AADNonInteractiveUserSignInLogs")).toBeGreaterThanOrEqual(69);
    expect(size("IdentityInfo")).toBeGreaterThanOrEqual(55);
    for (const t of ["AADServicePrincipalSignInLogs", "AADManagedIdentitySignInLogs", "AzureActivity", "SecurityIncident"]) expect(size(t)).toBeGreaterThan(30);
    const type = (t: string, c: string) => tableSchemas[t]?.find(([n]) => n === c)?.[1];
    expect(type("SigninLogs", "AADTenantId")).toBe("string");
    expect(type("SigninLogs", "ResourceId")).toBe("string");
    expect(type("OfficeActivity", "Members")).toBe("dynamic");
    expect(type("OfficeActivity", "ElevationTime")).toBe("datetime");
    expect(type("AzureActivity", "Properties_d")).toBe("dynamic");
    expect(type("SecurityIncident", "AlertIds")).toBe("dynamic");
  });

  it("have unique column names, no hidden columns, and types Kusto.Language accepts", async () => {
    for (const [table, columns] of Object.entries(tableSchemas)) {
      const names = columns.map(([n]) => n);
      expect(new Set(names).size, table).toBe(names.length);
      expect(names.filter((n) => n.startsWith("_")), table).toEqual([]);
      const diagnostics = await analyzeKql(`${table} | project ${names.map((n) => `['${n}']`).join(", ")}`, tableSchemas);
      expect(diagnostics, table).toEqual([]);
    }
  });
});
