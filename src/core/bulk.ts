/**
 * How a run over several users names each user's steps: the runbook's step ids under the prefix `u<n>-`, the users
 * listed in order in run.started's `params.users` (comma-separated). Shared by the planner (src/runbook/bulk.ts) and
 * the exports, which show a section per user.
 */
export const bulkUsersParam = "users";

export const bulkPrefix = (index: number): string => `u${index + 1}-`;
