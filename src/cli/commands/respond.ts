import { z } from "zod";
import { ExitCode } from "../../core/errors.js";
import { defineCommand, flag } from "../define-command.js";
import { lookbackOf } from "../options.js";
import { hardeningUnread, renderResponse, renderRunOutcome } from "../render/summary.js";
import { lookbackOption, shippedRunbook } from "../shipped-runbooks.js";
import { forensicsDefaults } from "./snapshot.js";

/** `azir respond <upn>`: runbooks/entra-compromised-user.yaml, the whole incident in one run. */
export const respondCommand = defineCommand({
  name: "respond",
  description: "the whole incident: investigate, contain, VM forensics for the VMs the alerts name, then harden; one confirmation for every write",
  args: z.object({ upn: z.string().describe("the compromised user") }),
  options: z.object({
    lookback: lookbackOption("14d"),
    methodsAfter: z.string().optional().describe("your decision: authentication methods created or registered since this time are the attacker's").register(flag, { value: "time" }),
    removeMethod: z.array(z.string()).default([]).describe("your decision: this method id is the attacker's (repeatable)").register(flag, { value: "id" }),
    changeDefaultMethod: z.boolean().optional().describe("allow moving the default sign-in method to one of the user's own (Graph beta)"),
    secretsOut: z.string().optional().describe("write the new client secrets to this file (mode 0600; refused if it exists) instead of showing them once").register(flag, { value: "file" }),
    forensicsSubscription: z.string().optional().describe("subscription for VM evidence (config: forensics.subscription)").register(flag, { value: "id" }),
    forensicsResourceGroup: z.string().optional().describe("its resource group (config: forensics.resourceGroup)").register(flag, { value: "name" }),
    forensicsAccount: z.string().optional().describe("the forensics storage account (config: forensics.storageAccount)").register(flag, { value: "name" }),
  }),
  progress: true,
  async handler({ args, options }, ctx) {
    const [{ runRunbook }, { refuseExistingSecretsFile, secretSink }] = await Promise.all([import("../run-runbook.js"), import("../secrets.js")]);
    const secretsFile = options.secretsOut ? refuseExistingSecretsFile(options.secretsOut, ctx.io.cwd) : undefined;
    return runRunbook(ctx, {
      runbookFile: shippedRunbook("entra-compromised-user"),
      params: {
        upn: args.upn,
        lookback: lookbackOf(options.lookback, ctx.globals.since, ctx.clock.now()),
        ...(options.methodsAfter ? { methodsAfter: options.methodsAfter } : {}),
        ...(options.removeMethod.length > 0 ? { removeMethods: options.removeMethod.join(",") } : {}),
        ...(options.changeDefaultMethod ? { changeDefault: "true" } : {}),
        ...(options.forensicsSubscription ? { forensicsSubscription: options.forensicsSubscription } : {}),
        ...(options.forensicsResourceGroup ? { forensicsResourceGroup: options.forensicsResourceGroup } : {}),
        ...(options.forensicsAccount ? { forensicsAccount: options.forensicsAccount } : {}),
      },
      // Where VM evidence goes when the alerts name a VM: the config's forensics block, or the simulated tenant's.
      contextParams: forensicsDefaults,
      secrets: secretSink({ terminal: ctx.terminal, ...(secretsFile ? { file: secretsFile } : {}) }),
    });
  },
  render: (outcome, ctx) => {
    const code = renderRunOutcome(outcome, ctx, renderResponse);
    // What hardening could not read is not clean: exit 1, as for any incomplete data.
    return code === ExitCode.ok && hardeningUnread(outcome).length > 0 ? ExitCode.failed : code;
  },
});
