import { bulkPrefix, bulkUsersParam } from "../core/bulk.js";
import type { TimelineDocument } from "./document.js";
import type { ActionLikeEvent, TimelineEvent } from "./event.js";

/** One user of a run over several users: what was done for them, and what went wrong. */
export interface UserSection {
  upn: string;
  prefix: string;
  actions: ActionLikeEvent[];
  errors: TimelineEvent[];
}

/** The users of a run over several users, from its run.started, each with its events; none for a single-user run. */
export function userSections(doc: TimelineDocument): UserSection[] {
  const started = doc.response.find((e) => e.kind === "run.started");
  const params = started?.data.params as Record<string, unknown> | undefined;
  const users = typeof params?.[bulkUsersParam] === "string" ? (params[bulkUsersParam] as string).split(",").filter(Boolean) : [];
  return users.map((upn, i) => {
    const prefix = bulkPrefix(i);
    const own = (e: { step?: string | undefined }) => e.step?.startsWith(prefix) === true;
    return { upn, prefix, actions: doc.actions.filter(own), errors: doc.response.filter((e) => e.kind === "error" && own(e)) };
  });
}
