import { z } from "zod";
import { AzirError } from "../core/errors.js";
import { readUserFile } from "../core/files.js";
import { isGuid, isUpn } from "../core/validate.js";

/** At most this many users in one bulk run (one incident, one confirmation). */
export const maxBulkUsers = 1000;

/**
 * What `--users-from` reads: a JSON array of UPNs, `{"users": [...]}`, or an azir document (`--json` of
 * `azir hunt device-code`, `azir investigate`, `azir timeline export --format json`), whose findings name their user
 * as `data.subject`.
 */
const usersFromSchema = z.union([
  z.array(z.string()),
  z.object({ users: z.array(z.string()) }).strict(),
  z.object({
    schema: z.string(),
    findings: z.array(z.object({ data: z.object({ subject: z.string().optional() }).passthrough() }).passthrough()),
  }).passthrough(),
]);

interface Candidate {
  value: string;
  where: string;
}

function fromJson(text: string, file: string): Candidate[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AzirError("usage", `${file}: not JSON: ${error instanceof Error ? error.message : String(error)}`, {
      hint: "--users-from takes the --json output of azir hunt device-code or azir investigate, a JSON array of UPNs, or {\"users\": [...]}",
    });
  }
  const parsed = usersFromSchema.safeParse(json);
  if (!parsed.success) {
    throw new AzirError("usage", `${file}: no list of users in it`, {
      hint: "--users-from takes the --json output of azir hunt device-code or azir investigate, a JSON array of UPNs, or {\"users\": [...]}",
    });
  }
  const data = parsed.data;
  if (Array.isArray(data)) return data.map((value, i) => ({ value, where: `${file}[${i}]` }));
  if (!("findings" in data)) return data.users.map((value, i) => ({ value, where: `${file} users[${i}]` }));
  // A finding's subject is a user, or something else (a resource id, an app): only UPNs are taken.
  return data.findings.flatMap((f, i) => (f.data.subject !== undefined && isUpn(f.data.subject) ? [{ value: f.data.subject, where: `${file} findings[${i}]` }] : []));
}

function fromLines(text: string, file: string): Candidate[] {
  return text.split(/\r?\n/).flatMap((line, i) => {
    const value = line.trim();
    return value === "" || value.startsWith("#") ? [] : [{ value, where: `${file}:${i + 1}` }];
  });
}

/**
 * The users of a containment: the arguments, then `--users-file` (one UPN a line; blank lines and `#` comments
 * skipped), then `--users-from`. Every one is checked before anything is sent: one bad entry refuses the whole list,
 * naming each bad entry and where it came from. Each user once (UPNs compare without case), in the order given.
 */
export async function collectUsers(input: { args: readonly string[]; usersFile?: string | undefined; usersFrom?: string | undefined }, cwd: string): Promise<string[]> {
  const read = (file: string, what: string): Promise<string> => readUserFile(file.startsWith("/") ? file : `${cwd}/${file}`, { what });
  const candidates: Candidate[] = input.args.map((value, i) => ({ value, where: `argument ${i + 1}` }));
  // One at a time, not push(...list): a list of hundreds of thousands of entries would overflow the stack.
  if (input.usersFile) for (const c of fromLines(await read(input.usersFile, "--users-file"), input.usersFile)) candidates.push(c);
  if (input.usersFrom) for (const c of fromJson(await read(input.usersFrom, "--users-from"), input.usersFrom)) candidates.push(c);
  const bad = candidates.filter((c) => !isUpn(c.value) && !isGuid(c.value));
  if (bad.length > 0) {
    throw new AzirError("usage", `${bad.length} entr${bad.length === 1 ? "y is" : "ies are"} not a user principal name or object id; nothing was sent`, {
      details: bad.slice(0, 20).map((c) => `${c.where}: ${JSON.stringify(c.value.slice(0, 120))}`),
      hint: "fix or remove these entries and run again",
    });
  }
  const seen = new Set<string>();
  const users = candidates.map((c) => c.value).filter((upn) => !seen.has(upn.toLowerCase()) && seen.add(upn.toLowerCase()));
  if (users.length === 0) throw new AzirError("usage", "no user to contain", { hint: "name users as arguments, with --users-file <file> or with --users-from <json>" });
  if (users.length > maxBulkUsers) throw new AzirError("usage", `${users.length} users: at most ${maxBulkUsers} in one run`, { hint: "split the list into several runs" });
  return users;
}
