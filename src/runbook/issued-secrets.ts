import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { IssuedSecrets } from "../steps/types.js";
import { readJournal, verifyJournal } from "../timeline/journal.js";
import type { JournalKey } from "../timeline/key.js";

/**
 * The client secrets azir issued in an incident, from the journals in its folder: when the incident's first run
 * started, and the key ids of the secrets that reached the responder (`secretDelivered` on the action event, written
 * once the secret was shown or written to the responder's file). Only journals whose chain verifies are believed
 * about delivery; a journal that does not verify still dates the incident's start. Undefined when the folder holds no
 * earlier run.
 */
export async function issuedSecrets(dir: string, key?: JournalKey): Promise<IssuedSecrets | undefined> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".jsonl"));
  let since: string | undefined;
  const delivered = new Set<string>();
  for (const file of files) {
    const path = join(dir, file);
    const { events } = await readJournal(path).catch(() => ({ events: [] }));
    const started = events.find((e) => e.kind === "run.started");
    if (!started) continue;
    if (since === undefined || started.recordedAt < since) since = started.recordedAt;
    // A crash's torn last line leaves the whole lines before it good evidence.
    const verified = await verifyJournal(path, key ? { key } : {});
    if (!verified.ok && !verified.reason.startsWith("incomplete final line")) continue;
    for (const e of events) {
      if (e.kind === "action" && typeof e.data.secretDelivered === "string") delivered.add(e.data.secretDelivered.toLowerCase());
    }
  }
  return since === undefined ? undefined : { since, delivered };
}
