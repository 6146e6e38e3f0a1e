import { z } from "zod";

/**
 * The written form of a runbook (YAML). This schema is the source of the published JSON Schema
 * (`azir schema runbook`); named rules in rules.ts check what a schema cannot (ids, cycles, files, names).
 */

export const paramTypes = ["upn", "string", "duration", "datetime", "resourceId", "boolean"] as const;
export type ParamType = (typeof paramTypes)[number];

const stepId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, "step ids are lower-case letters, digits and dashes, starting with a letter")
  .describe("Unique id of the step; later steps refer to it in `after` and `{{ findings.<id>.* }}`.");

export const paramSchema = z
  .object({
    type: z.enum(paramTypes).describe("upn, string, duration (14d, 3h), datetime (ISO 8601), resourceId (an ARM id) or boolean (true or false)."),
    required: z.boolean().optional().describe("The run refuses to start without it."),
    default: z.union([z.string(), z.number(), z.boolean()]).optional().describe("Value when none is given."),
    description: z.string().optional(),
    protected: z
      .boolean()
      .optional()
      .describe("For upn params: check the value against the protected (break-glass) accounts. Default true for upn."),
  })
  .strict();
export type ParamSpec = z.infer<typeof paramSchema>;

/** What a step does in the playbook; the command summaries find a step's outputs by its role, not its id. */
export const stepRoles = [
  "signins",
  "risk",
  "audit",
  "office",
  "alerts",
  "block",
  "revoke",
  "remove-methods",
  "confirm-compromised",
  "snapshot",
  "lock",
  "export",
  "verification-plan",
  "device-code-hunt",
  "signins-after-containment",
  "coverage",
  "rotate-app-credentials",
  "privileged-roles",
  "consents",
  "conditional-access",
  "mailbox-rules",
  "release",
] as const;
export type StepRole = (typeof stepRoles)[number];

const withBlock = z
  .record(z.string(), z.unknown())
  .describe("Inputs of the step. Strings may hold templates: {{ params.<name> }} and {{ findings.<step>.<key> }}.");

const commonStep = {
  id: stepId,
  title: z.string().optional().describe("One line for people."),
  after: z.array(z.string()).optional().describe("Steps that must complete before this one."),
  when: z
    .string()
    .optional()
    .describe("Template; the step runs only when it resolves to a truthy value (not empty, false, 0, null or [])."),
  optional: z.boolean().optional().describe("A failure (e.g. a missing table) becomes a note instead of failing the run."),
  confirm: z.boolean().optional().describe("Ask for confirmation before this step even with --yes."),
  tolerate: z
    .array(z.string())
    .optional()
    .describe(
      "Steps this one runs without when they fail: their findings read as null and the step is told its data is incomplete (containment degrades instead of stopping: block and revoke need no scoping).",
    ),
  role: z
    .enum(stepRoles)
    .optional()
    .describe("What the step does (signins, audit, block, revoke, ...): how `azir investigate`, `contain` and the other commands find it in their summaries. At most one step per role."),
  with: withBlock.optional(),
};

export const queryStepSchema = z
  .object({
    ...commonStep,
    query: z.string().describe("KQL file, relative to the runbook's folder or the package root (kql/...)."),
    forUsers: z
      .string()
      .optional()
      .describe(
        "The same query for several users at once (a run over many users): a KQL file declaring one dynamic list in place of the query's user parameter, each row naming its user in a ForUser column. The runner sends one query for up to 50 users and hands each user's step its own rows.",
      ),
    analyze: z.string().optional().describe("Analyzer that turns the rows into findings and outputs."),
    timeoutSeconds: z.number().int().min(1).max(600).optional().describe("Server-side query timeout."),
    optionalTables: z
      .array(z.string())
      .optional()
      .describe("Tables the workspace may lack (e.g. AADNonInteractiveUserSignInLogs): the query then runs with them empty, and a gap says so."),
  })
  .strict();

export const actionStepSchema = z
  .object({
    ...commonStep,
    action: z.string().describe("Registered action, e.g. entra.blockSignIn."),
  })
  .strict();

export const noteStepSchema = z
  .object({
    ...commonStep,
    note: z.string().describe("A note written to the timeline (templates allowed), e.g. what to check next."),
  })
  .strict();

export const stepKinds = ["query", "action", "note"] as const;
export type StepKind = (typeof stepKinds)[number];

export const stepSchema = z.union([queryStepSchema, actionStepSchema, noteStepSchema]);

export const runbookSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/).describe("Stable id of the runbook."),
    title: z.string(),
    description: z.string().optional(),
    subject: z
      .string()
      .optional()
      .describe("Template naming what the incident is about (e.g. {{ params.upn }}); names the incident folder."),
    params: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/), paramSchema).default({}),
    steps: z.array(stepSchema).min(1),
  })
  .strict()
  .describe("An azir runbook: parameters, then steps (KQL queries with analyzers, and actions on the tenant).");

export type QueryStep = z.infer<typeof queryStepSchema>;
export type ActionStep = z.infer<typeof actionStepSchema>;
export type NoteStep = z.infer<typeof noteStepSchema>;
export type Step = QueryStep | ActionStep | NoteStep;
export type Runbook = z.infer<typeof runbookSchema>;

export function stepKind(step: Step): StepKind {
  if ("query" in step) return "query";
  if ("action" in step) return "action";
  return "note";
}

/** The JSON Schema of the runbook format, for editors and `azir schema runbook`. */
export function runbookJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(runbookSchema, { target: "draft-2020-12", io: "input" }) as Record<string, unknown>;
}
