import { z } from "zod";
import { parseSince } from "../core/duration.js";
import { AzirError } from "../core/errors.js";
import { clouds } from "./config.js";
import type { Io } from "./io.js";

/** Global options as commander hands them over (flags only; env and config are merged in `resolveGlobals`). */
export interface RawGlobals {
  tabletop?: string | boolean;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  out?: string;
  config?: string;
  tenant?: string;
  subscription?: string;
  workspace?: string;
  since?: string;
  cloud?: string;
  deviceCode?: boolean;
  browser?: boolean;
  certificate?: string;
  clientId?: string;
  forceProtected?: boolean;
  incident?: string;
}

// An environment switch is on or off in so many words: a value that says neither (AZIR_YES=maybe) is refused, so that
// "off" never means yes.
const truthy = ["1", "true", "yes", "on"];
const falsy = ["", "0", "false", "no", "off"];
const flag = z
  .union([z.boolean(), z.string().refine((v) => [...truthy, ...falsy].includes(v.trim().toLowerCase()), "expected true or false (1/0, yes/no, on/off)")])
  .optional()
  .transform((v) => (typeof v === "string" ? truthy.includes(v.trim().toLowerCase()) : v));

export const globalsSchema = z.object({
  tabletop: z.union([z.boolean(), z.string().min(1)]).optional(),
  dryRun: flag,
  yes: flag,
  json: flag,
  out: z.string().min(1).optional(),
  config: z.string().min(1).optional(),
  tenant: z.string().regex(/^[A-Za-z0-9.-]{3,253}$/, "expected a tenant GUID or domain").optional(),
  subscription: z.string().regex(/^[0-9a-fA-F-]{36}$/, "expected a subscription GUID").optional(),
  workspace: z.string().regex(/^[0-9a-fA-F-]{36}$/, "expected the workspace GUID (customerId)").optional(),
  since: z.string().min(1).optional(),
  cloud: z.enum(clouds).optional(),
  deviceCode: flag,
  browser: flag,
  certificate: z.string().min(1).optional(),
  clientId: z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "expected the app's client id (a GUID)").optional(),
  forceProtected: flag,
  incident: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$/, "letters, digits, dot, dash and underscore").optional(),
});
export type Globals = z.output<typeof globalsSchema>;

const envNames: Record<keyof RawGlobals, string> = {
  tabletop: "AZIR_TABLETOP",
  dryRun: "AZIR_DRY_RUN",
  yes: "AZIR_YES",
  json: "AZIR_JSON",
  out: "AZIR_OUT",
  config: "AZIR_CONFIG",
  tenant: "AZIR_TENANT",
  subscription: "AZIR_SUBSCRIPTION",
  workspace: "AZIR_WORKSPACE",
  since: "AZIR_SINCE",
  cloud: "AZIR_CLOUD",
  deviceCode: "AZIR_DEVICE_CODE",
  browser: "AZIR_BROWSER",
  certificate: "AZIR_CERTIFICATE",
  clientId: "AZIR_CLIENT_ID",
  forceProtected: "AZIR_FORCE_PROTECTED",
  incident: "AZIR_INCIDENT",
};

/** Endpoint overrides from the environment (what `azir tabletop serve` prints). */
export const endpointEnv = {
  graph: "AZIR_GRAPH_URL",
  logs: "AZIR_LOGS_URL",
  arm: "AZIR_ARM_URL",
  authority: "AZIR_AUTHORITY_URL",
} as const;

/** `dryRun` -> `--dry-run`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Flags win over AZIR_* environment variables; both are validated. */
export function resolveGlobals(raw: RawGlobals, io: Io): Globals {
  const merged: Record<string, unknown> = {};
  for (const [key, envName] of Object.entries(envNames) as Array<[keyof RawGlobals, string]>) {
    const fromFlag = raw[key];
    const fromEnv = io.env[envName];
    merged[key] = fromFlag ?? (fromEnv === undefined || fromEnv === "" ? undefined : key === "tabletop" && ["1", "true"].includes(fromEnv) ? true : fromEnv);
  }
  const parsed = globalsSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0]) as keyof RawGlobals;
    throw new AzirError("usage", `${flagName(key)} (or ${envNames[key]}): ${issue.message}`);
  }
  const ways = (["deviceCode", "browser", "certificate"] as const).filter((k) => Boolean(parsed.data[k]));
  if (ways.length > 1) {
    throw new AzirError("usage", `${ways.map(flagName).join(" and ")} are two ways to sign in; choose one`, {
      hint: "--device-code or --browser for a responder's sign-in (with --client-id of your app), --certificate for a service principal",
    });
  }
  return parsed.data;
}

/**
 * The lookback of a command: `--since` (a date-time or a duration back from now), when given, wins over
 * `--lookback`; both become a duration such as `14d` or `20160m`.
 */
export function lookbackOf(lookback: string, since: string | undefined, now: Date): string {
  if (since === undefined) return lookback;
  const at = parseSince(since, now);
  if (!at || at.getTime() >= now.getTime()) {
    throw new AzirError("usage", `--since: not a past date-time or a duration: ${JSON.stringify(since)}`, { hint: "e.g. --since 2026-11-10T00:00:00Z or --since 21d" });
  }
  return `${Math.ceil((now.getTime() - at.getTime()) / 60_000)}m`;
}
