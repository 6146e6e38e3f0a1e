import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { systemClock, type Clock } from "../core/clock.js";
import { AzirError } from "../core/errors.js";
import { randomIds, type IdSource } from "../core/ids.js";
import type { Endpoints, Ports } from "../core/ports.js";
import type { TokenCredential } from "../azure/index.js";
import type { AzureCloudName, ServiceScopes } from "../azure/clouds.js";
import type { Emulator } from "../tabletop/emulator/types.js";
import type { Mode } from "../timeline/event.js";
import { loadConfig, type AzirConfig } from "./config.js";
import type { Io } from "./io.js";
import { endpointEnv, globalsSchema, resolveGlobals, type Globals, type RawGlobals } from "./options.js";
import { createTerminal, type Terminal } from "./terminal.js";

/** Test seams of a command run: a clock, fixed ids, a prompt that answers, a simulated tenant already running. */
export interface RunDeps {
  clock?: Clock;
  ids?: IdSource;
  /** Replaces the interactive prompt (tests). */
  prompt?: (message: string) => Promise<boolean>;
  /** Replaces the interactive choice among undecided items (tests): the ids chosen. */
  choose?: (message: string, items: Array<{ value: string; name: string }>) => Promise<string[]>;
  /** A simulated tenant already running (tests, benchmarks): used by --tabletop instead of starting one. */
  emulator?: Emulator;
  /** Retry settings and per-request deadlines of the tabletop's clients (the fault-injection suite uses short ones). */
  azure?: { retry?: { maxRetries?: number; retryDelayMs?: number }; timeouts?: { graphMs?: number; logsMs?: number; armReadMs?: number } };
}

/** What every command handler receives, built once per invocation before the handler runs. */
export interface CommandContext {
  io: Io;
  /** Global options, from flags and AZIR_* variables, validated. */
  globals: Globals;
  terminal: Terminal;
  clock: Clock;
  deps: RunDeps;
}

export async function createCommandContext(options: {
  io: Io;
  deps: RunDeps;
  raw: RawGlobals;
  /** false: the command ignores the global options, so neither flags nor the environment are read. */
  globals: boolean;
  progress: boolean;
}): Promise<CommandContext> {
  const { io, deps } = options;
  const globals = options.globals ? resolveGlobals(options.raw, io) : globalsSchema.parse({});
  // ora is loaded only by commands that show progress, to keep `azir --help` fast
  const ora = options.progress ? (await import("ora")).default : undefined;
  const terminal = createTerminal(io, { json: Boolean(globals.json), ...(ora ? { ora } : {}) });
  return { io, globals, terminal, clock: deps.clock ?? systemClock, deps };
}

/**
 * The composition root: the one place that decides the mode and builds the collaborators. Live, dry-run and
 * tabletop differ only here: where the adapters point (Azure or the in-process emulator) and whether the
 * write gate sends (the executor's `dryRun`).
 */
export interface RunContext {
  clock: Clock;
  ids: IdSource;
  io: Io;
  terminal: Terminal;
  globals: Globals;
  config: AzirConfig;
  mode: Mode;
  dryRun: boolean;
  out: string;
  endpoints: Endpoints;
  /** The national cloud the run addresses (the tabletop plays whichever is chosen; default AzureCloud). */
  cloud: AzureCloudName;
  /** How the run signs in (never a secret): what `azir doctor` reports. */
  signIn: SignIn;
  /** The credential the ports use, and the scopes of each service (`azir doctor` asks it for a Graph token). */
  credential: TokenCredential;
  scopes: ServiceScopes;
  workspaceId: string;
  subscriptionId?: string;
  tenantId?: string;
  /** Protected (break-glass) accounts, lower-case. */
  protectedAccounts: string[];
  /** The tokens and SAS URLs issued in this run, which the journal never writes. */
  issuedTokens: ReadonlySet<string>;
  ports: Ports;
  /** Where the progress of long effects (a disk copy) goes: the run's spinner sets it. */
  progress: { listener?: (line: string) => void };
  /** Tabletop only: start the simulated tenant's storage now (it takes most of a second), before a step needs it. */
  warmStorage?: () => void;
  /** Tabletop only: the simulated tenant's forensics subscription, resource group and storage account. */
  tabletopForensics?: { subscription: string; resourceGroup: string; storageAccount: string };
  /** Stops the in-process emulator, if any. */
  close(): Promise<void>;
}

/** How long a non-interactive token request may take. */
const tokenDeadlineMs = 60_000;

/** How a run signs in, as `azir doctor` reports it. */
export interface SignIn {
  /** `tabletop`: tokens issued by the simulated tenant's authority to the scenario's app. */
  kind: "tabletop" | "default" | "device-code" | "browser" | "certificate";
  authority: string;
  clientId?: string;
  tenantId?: string;
  certificatePath?: string;
}

/**
 * The scenario folder of `--tabletop [scenario]` (and of `tabletop serve --scenario`): a built-in scenario or a
 * folder, resolved by the scenario loader's own rule; anything else is a usage error.
 */
export async function tabletopScenarioDir(value: string | true, cwd: string): Promise<string> {
  const { builtInScenarioNames, resolveScenarioDir } = await import("../tabletop/scenario/load.js");
  const dir = resolveScenarioDir(value, cwd);
  if (existsSync(dir) && statSync(dir).isDirectory()) return dir;
  throw new AzirError("usage", `--tabletop ${JSON.stringify(value)} is neither a built-in scenario (${builtInScenarioNames().join(", ")}) nor a scenario folder`, {
    hint: "write the user before --tabletop (azir contain alex@contoso.com --tabletop), or use --tabletop=contoso",
  });
}

/** The context of a runbook run, from the command's: the mode, the config, and the ports it points at. */
export async function createRunContext(command: CommandContext): Promise<RunContext> {
  const { globals, io, terminal, clock, deps } = command;
  const ids = deps.ids ?? randomIds;
  const { config, file } = await loadConfig(globals.config, io);
  // Which file steered the run is worth a line: a config can change where azir acts.
  if (file) terminal.line(terminal.color.dim(`config: ${file}`));
  const dryRun = Boolean(globals.dryRun);
  const out = resolve(io.cwd, globals.out ?? config.out ?? "incidents");
  const protectedAccounts = (config.protectedAccounts ?? []).map((a) => a.toLowerCase());
  // Every token issued in this run: the journal masks these exact strings wherever a service echoes one.
  const issuedTokens = new Set<string>();
  terminal.maskSecrets(issuedTokens);
  const progress: RunContext["progress"] = {};
  const onProgress = (line: string): void => progress.listener?.(line);
  const common = { clock, ids, io, terminal, globals, config, dryRun, out, protectedAccounts, issuedTokens, progress };

  const cloud = globals.cloud ?? config.cloud ?? "AzureCloud";
  if (globals.tabletop) {
    const { cloudScopes, createAzurePorts, createCredential, recordingTokens } = await import("../azure/index.js");
    const owned = !deps.emulator;
    const emulator = deps.emulator ?? (await (await import("../tabletop/index.js")).startTabletop({ scenarioDir: await tabletopScenarioDir(globals.tabletop, io.cwd), clock }));
    const stop = async (): Promise<void> => {
      if (owned) await emulator.close();
    };
    try {
      // The scenario's app signs in as the authority would answer its client credentials (tokens.ts), without
      // loading @azure/identity: the tokens carry the scenario's permissions, which Graph checks and doctor reads.
      const token = (scopes: string[]): string => emulator.issueToken({ scope: scopes.join(" ") });
      const credential = recordingTokens(createCredential({ kind: "static", token, clock }), issuedTokens);
      const scopes = cloudScopes(cloud);
      const ports = await createAzurePorts({
        endpoints: emulator.endpoints,
        credential,
        scopes,
        ca: emulator.caPem,
        subscriptionId: emulator.subscriptionId,
        retry: { maxRetries: 3, retryDelayMs: 200, ...deps.azure?.retry },
        ...(deps.azure?.timeouts ? { timeouts: deps.azure.timeouts } : {}),
        lroPollMs: 50,
        clock,
        secrets: issuedTokens,
        onProgress,
        loopbackOnly: true,
      });
      const forensics = tabletopForensicsOf(emulator);
      return {
        ...common,
        mode: dryRun ? "tabletop-dry-run" : "tabletop",
        endpoints: emulator.endpoints,
        cloud,
        signIn: { kind: "tabletop", authority: emulator.endpoints.authority, tenantId: emulator.tenantId },
        credential,
        scopes,
        workspaceId: emulator.workspaceId,
        subscriptionId: emulator.subscriptionId,
        tenantId: emulator.tenantId,
        ports,
        ...(forensics ? { tabletopForensics: forensics } : {}),
        warmStorage: () => void emulator.storage().catch(() => undefined),
        close: stop,
      };
    } catch (error) {
      await stop();
      throw error;
    }
  }

  const { boundedCredential, createAzurePorts, createCredential, recordingTokens, resolveEndpoints } = await import("../azure/index.js");
  const overrides: Partial<Endpoints> = { ...(config.endpoints ?? {}) };
  for (const [key, envName] of Object.entries(endpointEnv) as Array<[keyof Endpoints, string]>) {
    const value = io.env[envName];
    if (value) {
      if (!value.startsWith("https://")) throw new AzirError("usage", `${envName} must be an https:// URL`, { hint: "Azure SDKs refuse bearer tokens over plain http" });
      overrides[key] = value;
    }
  }
  const resolved = resolveEndpoints(cloud, overrides);
  const tenantId = globals.tenant ?? config.tenant;
  const workspaceId = globals.workspace ?? config.workspace ?? "";
  const subscriptionId = globals.subscription ?? config.subscription;
  const signIn = signInOf(globals, config, resolved.endpoints.authority, io.cwd, tenantId);
  if (globals.clientId && signIn.kind === "default") {
    terminal.warn("--client-id (AZIR_CLIENT_ID) is the app for --device-code, --browser or --certificate; DefaultAzureCredential takes its service principal from AZURE_CLIENT_ID");
  }
  // A token request that never answers ends after a minute; signing in as a person (a device code, a browser)
  // waits for them, as long as the sign-in page allows.
  const created = createCredential({
      ...signIn,
      kind: signIn.kind === "tabletop" ? "default" : signIn.kind,
      // The cloud's authority (or the override), for every credential: a US Government tenant signs in at
      // login.microsoftonline.us, never at the public authority.
      authorityHost: signIn.authority,
      onDeviceCode: (message) => terminal.line(message),
  });
  const interactive = signIn.kind === "device-code" || signIn.kind === "browser";
  const credential = recordingTokens(interactive ? created : boundedCredential(created, tokenDeadlineMs), issuedTokens);
  const ports = await createAzurePorts({
    endpoints: resolved.endpoints,
    credential,
    scopes: resolved.scopes,
    ...(subscriptionId ? { subscriptionId } : {}),
    clock,
    secrets: issuedTokens,
    onProgress,
  });
  return {
    ...common,
    mode: dryRun ? "dry-run" : "live",
    endpoints: resolved.endpoints,
    cloud,
    signIn,
    credential,
    scopes: resolved.scopes,
    workspaceId,
    ...(subscriptionId ? { subscriptionId } : {}),
    ...(tenantId ? { tenantId } : {}),
    ports,
    close: async () => undefined,
  };
}

/** The scenario's forensics storage account: the first in its forensics subscription. */
function tabletopForensicsOf(emulator: Emulator): RunContext["tabletopForensics"] {
  const state = emulator.state();
  const prefix = `/subscriptions/${state.forensicsSubscriptionId}/resourcegroups/`.toLowerCase();
  const account = state.arm.resources.find((r) => r.type.toLowerCase() === "microsoft.storage/storageaccounts" && r.id.toLowerCase().startsWith(prefix));
  if (!account) return undefined;
  const resourceGroup = account.id.split("/")[4] ?? "";
  return { subscription: state.forensicsSubscriptionId, resourceGroup, storageAccount: account.name };
}

/** How a live run signs in: the flags (one way at most), the client id from the flag, AZIR_CLIENT_ID or the config. */
export function signInOf(globals: Globals, config: AzirConfig, authority: string, cwd: string, tenantId: string | undefined): SignIn {
  const kind = globals.deviceCode ? "device-code" : globals.browser ? "browser" : globals.certificate ? "certificate" : "default";
  // DefaultAzureCredential takes its service principal from AZURE_CLIENT_ID: a client id of azir's is for the other ways.
  const clientId = kind === "default" ? undefined : (globals.clientId ?? config.clientId);
  return {
    kind,
    authority,
    ...(clientId ? { clientId } : {}),
    ...(tenantId ? { tenantId } : {}),
    ...(globals.certificate ? { certificatePath: resolve(cwd, globals.certificate) } : {}),
  };
}
