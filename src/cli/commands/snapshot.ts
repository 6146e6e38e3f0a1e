import { z } from "zod";
import { AzirError } from "../../core/errors.js";
import type { RunContext } from "../context.js";
import { defineCommand, flag } from "../define-command.js";
import { renderRunOutcome, renderSnapshot } from "../render/summary.js";
import { shippedRunbook } from "../shipped-runbooks.js";

/**
 * Where the evidence goes when the flags do not say: the config's `forensics:` block, else the tabletop tenant's
 * forensics subscription and storage account. A missing one is refused before any call.
 */
export function forensicsDefaults(context: RunContext): Record<string, string> {
  const config = context.config.forensics;
  const tabletop = context.tabletopForensics;
  const values = {
    subscription: context.subscriptionId,
    forensicsSubscription: config?.subscription ?? tabletop?.subscription,
    forensicsResourceGroup: config?.resourceGroup ?? tabletop?.resourceGroup,
    forensicsAccount: config?.storageAccount ?? tabletop?.storageAccount,
    forensicsContainer: config?.container,
  };
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, string] => typeof e[1] === "string" && e[1] !== ""));
}

/** `azir snapshot <vm>`: runbooks/vm-forensics.yaml. */
export const snapshotCommand = defineCommand({
  name: "snapshot",
  description: "VM forensics: snapshot every disk (never stops the VM), lock, copy to the forensics subscription, hash",
  args: z.object({ vm: z.string().describe("the VM's name or resource id") }),
  options: z.object({
    resourceGroup: z.string().optional().describe("the VM's resource group (a name is otherwise looked up in the subscription)").register(flag, { value: "name" }),
    forensicsSubscription: z.string().optional().describe("subscription that holds the evidence (config: forensics.subscription)").register(flag, { value: "id" }),
    forensicsResourceGroup: z.string().optional().describe("its resource group, for the snapshots and the storage account (config: forensics.resourceGroup)").register(flag, { value: "name" }),
    forensicsAccount: z.string().optional().describe("the forensics storage account (config: forensics.storageAccount)").register(flag, { value: "name" }),
    forensicsContainer: z.string().optional().describe("the container for the copies (config: forensics.container; default evidence)").register(flag, { value: "name" }),
    sasMinutes: z.coerce.number().int().min(5).max(1440).optional().describe("lifetime of each read SAS (default 120; revoked as soon as its copy ends)").register(flag, { value: "minutes" }),
  }),
  progress: true,
  handler: async ({ args, options }, ctx) => {
    const { runRunbook } = await import("../run-runbook.js");
    const given = {
      vm: args.vm,
      ...(options.resourceGroup ? { resourceGroup: options.resourceGroup } : {}),
      ...(options.forensicsSubscription ? { forensicsSubscription: options.forensicsSubscription } : {}),
      ...(options.forensicsResourceGroup ? { forensicsResourceGroup: options.forensicsResourceGroup } : {}),
      ...(options.forensicsAccount ? { forensicsAccount: options.forensicsAccount } : {}),
      ...(options.forensicsContainer ? { forensicsContainer: options.forensicsContainer } : {}),
      ...(options.sasMinutes ? { sasSeconds: String(options.sasMinutes * 60) } : {}),
    };
    return runRunbook(ctx, {
      runbookFile: shippedRunbook("vm-forensics"),
      params: given,
      contextParams: (context) => {
        const defaults = forensicsDefaults(context);
        const missing = (["forensicsSubscription", "forensicsResourceGroup", "forensicsAccount"] as const).filter((k) => !(k in given) && !(k in defaults));
        if (missing.length > 0) {
          throw new AzirError("usage", `no forensics ${missing.map((m) => m.replace(/^forensics/, "").toLowerCase()).join(", ")} for the evidence`, {
            hint: "pass --forensics-subscription, --forensics-resource-group and --forensics-account, or set forensics: { subscription, resourceGroup, storageAccount, container } in the config",
          });
        }
        return defaults;
      },
    });
  },
  render: (outcome, ctx) => renderRunOutcome(outcome, ctx, renderSnapshot),
});
