import { z } from "zod";
import { AzirError } from "../core/errors.js";
import { isGuid, isUpn } from "../core/validate.js";
import type { ReadContext } from "./types.js";

/** The user an action targets: a UPN or an object id, validated before it goes anywhere near a URL. */
export const userTargetSchema = z
  .string()
  .trim()
  .refine((value) => isUpn(value) || isGuid(value), {
    message: "expected a user principal name (alex@contoso.com) or a user object id (a GUID)",
  })
  .describe("The user: UPN or object id.");

/** An ISO-8601 UTC time from an earlier step, or null when that step found none. */
export const optionalTimeSchema = z.preprocess(
  (value) => (value === "" || value === undefined ? null : value),
  z
    .string()
    .refine((value) => /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value)), {
      message: "expected an ISO-8601 date-time such as 2026-11-20T08:00:00Z",
    })
    .nullable(),
);

/** The user fields the Entra actions read (one GET serves all of them). */
export interface DirectoryUser {
  id: string;
  userPrincipalName?: string;
  accountEnabled?: boolean | null;
  signInSessionsValidFromDateTime?: string | null;
  /** True for a user synchronised from on-premises Active Directory: AD masters accountEnabled (null for a cloud user). */
  onPremisesSyncEnabled?: boolean | null;
  /** The account's sAMAccountName in AD DS, for the command that disables it there. */
  onPremisesSamAccountName?: string | null;
}

const userFields = ["id", "userPrincipalName", "accountEnabled", "signInSessionsValidFromDateTime", "onPremisesSyncEnabled", "onPremisesSamAccountName"];

/** `/users/{upn or id}` with the segment validated and encoded. */
export function userPath(target: string): string {
  if (!isUpn(target) && !isGuid(target)) {
    throw new AzirError("validation", `"${target}" is not a user principal name or object id`, {
      hint: "pass the UPN (alex@contoso.com) or the user's object id",
    });
  }
  return `/users/${encodeURIComponent(target)}`;
}

/** A directory object id as it will be put in a URL; Entra object ids are GUIDs. */
export function requireObjectId(id: unknown, what: string): string {
  if (typeof id !== "string" || !isGuid(id)) {
    throw new AzirError("service", `Graph returned ${what} without a valid object id`, {
      hint: "the directory answered with an unexpected shape; retry, and report it if it persists",
    });
  }
  return id;
}

/** GET the target user (id, UPN, accountEnabled, sessions, on-premises sync); AzirError `not-found` if absent. */
export async function resolveUser(ctx: Pick<ReadContext, "graph">, target: string): Promise<DirectoryUser> {
  const user = await ctx.graph.find<DirectoryUser>(userPath(target), { select: userFields });
  if (!user) {
    throw new AzirError("not-found", `no user ${target} in the directory`, {
      hint: "check the UPN or object id (a deleted user is listed under Deleted users, not Users)",
    });
  }
  return { ...user, id: requireObjectId(user.id, `user ${target}`) };
}

/** What people read: the UPN when Graph gave one, else what the runbook passed. */
export function displayName(user: DirectoryUser, target: string): string {
  return typeof user.userPrincipalName === "string" && user.userPrincipalName !== "" ? user.userPrincipalName : target;
}
