import type { TimelineEvent } from "./event.js";

// Event text can come from the tenant (display names, user agents, app names): an attacker could put terminal
// escape sequences there, so control characters never reach the terminal.
const controlChars = /[\u0000-\u001f\u007f-\u009f]/g;

/** Removes control characters (newlines become spaces) so text stays on one harmless line. */
export function oneLine(text: string): string {
  return text.replace(/\r\n|\r|\n|\t/g, " ").replace(controlChars, "");
}

/** `2026-11-25T08:30:05.123Z` -> `2026-11-25 08:30:05Z`. */
export function shortTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/**
 * One line for `azir timeline show`: recorded time, kind, step, summary, and the tenant time when the event has
 * one. `2026-11-25 12:00:03Z  finding         signins       first high-risk sign-in  [occurred 2026-11-20 07:55:00Z]`
 */
export function renderEventLine(e: TimelineEvent): string {
  const occurred = e.occurredAt ? `  [occurred ${shortTime(e.occurredAt)}]` : "";
  return `${shortTime(e.recordedAt)}  ${e.kind.padEnd(15)} ${oneLine(e.step ?? "-").padEnd(13)} ${oneLine(e.summary)}${occurred}`;
}
