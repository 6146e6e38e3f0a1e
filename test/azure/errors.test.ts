import { describe, expect, it } from "vitest";
import { translateArmError } from "../../src/azure/arm.js";
import { AzureServiceError, pathOnly } from "../../src/azure/errors.js";
import { graphPermissionFor } from "../../src/entra/permissions.js";
import { translateGraphError } from "../../src/azure/graph.js";
import { translateLogsError } from "../../src/azure/logs.js";

// The translators over error objects shaped like the SDKs' (RestError: statusCode, code, details = parsed body;
// GraphError: statusCode, code, body). The emulator-backed tests cover the same paths end to end.
const restError = (statusCode: number, code: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name: "RestError", statusCode, code, details: { error: { code, message, ...extra } }, request: { headers: { authorization: "Bearer secret-token" } } });

describe("error translation", () => {
  it("ARM 403 names the action and the role, and keeps no request in the cause", () => {
    const snap = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/snapshots/x";
    const e = translateArmError(restError(403, "AuthorizationFailed", "The client does not have authorization"), "PUT", snap);
    expect(e).toBeInstanceOf(AzureServiceError);
    expect(e.code).toBe("permission");
    expect(e.message).toBe(`ARM answered 403 on PUT ${snap}: the identity lacks Microsoft.Compute/snapshots/write (Disk Snapshot Contributor)`);
    expect(JSON.stringify(e.cause)).not.toContain("secret-token");
    const lock = translateArmError(restError(403, "AuthorizationFailed", "no"), "PUT", `${snap}/providers/Microsoft.Authorization/locks/hold`);
    expect(lock.message).toContain("Microsoft.Authorization/locks/write (Owner or User Access Administrator)");
  });

  it("Log Analytics 403 names the role to grant", () => {
    const e = translateLogsError(restError(403, "InsufficientAccessError", "The provided credentials have insufficient access"), "ws-1");
    expect(e.code).toBe("permission");
    expect(e.hint).toContain("Log Analytics Reader on the workspace (or Microsoft.OperationalInsights/workspaces/query/read)");
  });

  it("Graph errors: 403 with the least-privileged read permission when the request names none; 404; others", () => {
    const graphError = (statusCode: number, code: string) => Object.assign(new Error("msg"), { statusCode, code, body: JSON.stringify({ code, message: "msg" }) });
    expect(translateGraphError(graphError(403, "Authorization_RequestDenied"), "GET", "/identityProtection/riskyUsers").message).toBe(
      'Graph answered 403 on GET /identityProtection/riskyUsers: "msg" (Authorization_RequestDenied): the request needs IdentityRiskyUser.Read.All',
    );
    expect(translateGraphError(graphError(404, "Request_ResourceNotFound"), "GET", "/users/x?$select=id").message).toBe("Graph answered 404 on GET /users/x: msg");
    expect(translateGraphError(graphError(500, "InternalServerError"), "PATCH", "/users/x").code).toBe("service");
  });

  it("least-privileged permissions by path; query strings never shown", () => {
    expect(graphPermissionFor("PATCH", "/users/u1")).toBe("User.EnableDisableAccount.All");
    expect(graphPermissionFor("DELETE", "/users/u1/authentication/phoneMethods/p")).toBe("UserAuthenticationMethod.ReadWrite.All");
    expect(graphPermissionFor("GET", "/roleManagement/directory/roleAssignments")).toBe("RoleManagement.Read.Directory");
    expect(graphPermissionFor("GET", "https://graph.microsoft.com/v1.0/auditLogs/signIns?$filter=x")).toBe("AuditLog.Read.All");
    expect(pathOnly("https://127.0.0.1:1/x/y?sig=abc")).toBe("/x/y");
  });
});
