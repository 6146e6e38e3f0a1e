import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { AzirError } from "../core/errors.js";
import { readUserFile } from "../core/files.js";
import { isUpn } from "../core/validate.js";
import type { Io } from "./io.js";

const guid = z.string().regex(/^[0-9a-fA-F-]{36}$/, "expected a GUID");
const httpsUrl = z.url({ protocol: /^https$/ }).describe("An https:// base URL");

export const clouds = ["AzureCloud", "AzureUSGovernment", "AzureChinaCloud"] as const;

/** The config file (YAML): where to act, who never to touch, and endpoint overrides. */
export const configSchema = z
  .object({
    tenant: z.string().optional().describe("Tenant id (GUID) or primary domain."),
    subscription: guid.optional().describe("Subscription for ARM reads and writes."),
    workspace: guid.optional().describe("Log Analytics workspace id (the workspace's customerId GUID)."),
    cloud: z.enum(clouds).optional(),
    clientId: guid
      .optional()
      .describe("The app registration azir signs in with (--device-code, --browser, --certificate): one holding the permissions in docs/permissions.md."),
    endpoints: z
      .object({ graph: httpsUrl.optional(), logs: httpsUrl.optional(), arm: httpsUrl.optional(), authority: httpsUrl.optional() })
      .strict()
      .optional()
      .describe("Explicit base URLs (e.g. of `azir tabletop serve`); override the cloud's."),
    protectedAccounts: z
      .array(z.string().refine(isUpn, "expected a user principal name"))
      .optional()
      .describe("Break-glass and other accounts azir refuses to act on unless --force-protected."),
    forensics: z
      .object({ subscription: guid, resourceGroup: z.string(), storageAccount: z.string().optional(), container: z.string().optional() })
      .strict()
      .optional()
      .describe("Where `azir snapshot` puts evidence: a separate subscription with its own RBAC, the resource group of its snapshots and storage account, the account and the container."),
    out: z.string().optional().describe("Folder for incident timelines (default ./incidents)."),
  })
  .strict();
export type AzirConfig = z.infer<typeof configSchema>;

/**
 * Loads the config: --config, else AZIR_CONFIG, else ./azir.config.yaml when present. A malformed file is an
 * error naming the file and the field; a missing explicit file too.
 */
export async function loadConfig(explicit: string | undefined, io: Io): Promise<{ config: AzirConfig; file?: string }> {
  const named = explicit ?? io.env.AZIR_CONFIG;
  const file = named ? (isAbsolute(named) ? named : resolve(io.cwd, named)) : resolve(io.cwd, "azir.config.yaml");
  if (!named && !existsSync(file)) return { config: {} };
  const text = await readUserFile(file, { what: "config file", maxBytes: 1024 * 1024, hint: "check --config / AZIR_CONFIG" });
  const { parseDocument, LineCounter } = await import("yaml");
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lines.linePos(e.pos[0]);
    throw new AzirError("usage", `${file}:${pos.line}:${pos.col}: YAML: ${e.message.split("\n")[0]}`);
  }
  let value: unknown;
  try {
    value = doc.toJS() ?? {};
  } catch (error) {
    // An alias bomb ("Excessive alias count") and the like: the file's fault, said as such.
    throw new AzirError("usage", `${file}: YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AzirError("usage", `${file}: ${issue.path.join(".") || "(root)"}: ${issue.message}`, {
      details: parsed.error.issues.slice(1).map((i) => `${i.path.join(".")}: ${i.message}`),
    });
  }
  refuseRedirection(parsed.data, file, Boolean(named));
  return { config: parsed.data, file };
}

/** Microsoft's sign-in hosts (public cloud, US Government, China), and this machine (the tabletop). */
const trustedAuthorities = /^(login\.microsoftonline\.(com|us)|login\.chinacloudapi\.cn|127\.0\.0\.1|localhost|\[::1\])$/i;
const loopback = /^(127\.0\.0\.1|localhost|\[::1\])$/i;

/**
 * A config file can send azir's tokens and client secret elsewhere. One azir merely finds in the working directory
 * (a cloned evidence folder, say) may not: its endpoint overrides are refused unless they point at this machine.
 * Even a named file may not move sign-in to an authority that is not Microsoft's.
 */
function refuseRedirection(config: AzirConfig, file: string, named: boolean): void {
  const endpoints = Object.entries(config.endpoints ?? {}).filter((e): e is [string, string] => typeof e[1] === "string");
  const elsewhere = endpoints.filter(([, url]) => !loopback.test(new URL(url).hostname));
  if (!named && elsewhere.length > 0) {
    throw new AzirError("usage", `${file} (found in the working directory) sets endpoints: ${elsewhere.map(([k, v]) => `${k} ${v}`).join(", ")}; azir follows endpoint overrides only from a config named with --config or AZIR_CONFIG`, {
      hint: "if you meant this file, name it with --config; otherwise remove it from the folder (a config file can send tokens and secrets elsewhere)",
    });
  }
  const authority = config.endpoints?.authority;
  if (authority !== undefined && !trustedAuthorities.test(new URL(authority).hostname)) {
    throw new AzirError("usage", `${file}: endpoints.authority ${authority} is not a Microsoft sign-in host; azir will not send credentials there`, {
      hint: "remove endpoints.authority, or use --cloud for a national cloud",
    });
  }
}
