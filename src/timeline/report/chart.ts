import type { SignInPoint, TimelineDocument } from "../document.js";
import { oneLine, shortTime } from "../render.js";

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

const riskColour: Record<string, string> = { high: "#c4202b", medium: "#e0822b", low: "#d9b21b" };
const quietColour = "#4f6f95";

/** A small, stable offset from a string, so that sign-ins at the same minute do not hide each other. */
function jitter(key: string, spread: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return ((Math.abs(h) % 1000) / 1000 - 0.5) * spread;
}

const hour = 3_600_000;
const day = 24 * hour;

/** Ticks at whole days (or hours), at most about ten, each labelled as briefly as its step allows. */
function ticks(min: number, max: number): Array<{ at: number; label: string }> {
  const span = max - min;
  const steps = [hour, 3 * hour, 6 * hour, 12 * hour, day, 2 * day, 7 * day, 14 * day, 28 * day];
  const step = steps.find((s) => span / s <= 10) ?? 28 * day;
  const out: Array<{ at: number; label: string }> = [];
  for (let t = Math.ceil(min / step) * step; t <= max; t += step) {
    const iso = new Date(t).toISOString();
    out.push({ at: t, label: step >= day ? iso.slice(5, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}` });
  }
  return out;
}

/**
 * The user's sign-ins over the incident window (one mark per sign-in: successes above, failures below, coloured by
 * sign-in risk, ringed when from a network or country new to the user) and the response actions on the same time
 * axis, as an SVG drawn here: no script, no font, nothing fetched, and it prints as it shows.
 */
export function signInChart(doc: TimelineDocument): string {
  const signins = doc.signins;
  const actions = doc.actions.filter((a) => a.kind !== "action.skipped");
  const times = [...signins.map((s) => Date.parse(s.at)), ...actions.map((a) => Date.parse(a.recordedAt))].filter(Number.isFinite);
  if (doc.summary.window) times.push(Date.parse(doc.summary.window.start), Date.parse(doc.summary.window.end));
  if (times.length === 0) return `<p class="muted">No sign-ins or actions to chart.</p>`;
  // A loop, not Math.min(...times): hundreds of thousands of sign-ins would overflow the stack as arguments.
  let min = Infinity;
  let max = -Infinity;
  for (const t of times) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  if (max - min < 3_600_000) {
    min -= 1_800_000;
    max += 1_800_000;
  }
  const width = 1000;
  const left = 110;
  const right = 20;
  const rows = { success: 60, failure: 130, actions: 205 };
  const height = 260;
  const x = (t: number): number => left + ((t - min) / (max - min)) * (width - left - right);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="Sign-ins of ${escapeHtml(doc.incident.subject ?? "the user")} over time, and the response actions" class="chart">`,
  ];
  for (const [label, y] of [["successes", rows.success], ["failures", rows.failure], ["response", rows.actions]] as const) {
    parts.push(`<text x="8" y="${y + 4}" class="lane">${label}</text>`, `<line x1="${left}" y1="${y}" x2="${width - right}" y2="${y}" class="axis"/>`);
  }
  for (const tick of ticks(min, max)) {
    const tx = x(tick.at).toFixed(1);
    parts.push(`<line x1="${tx}" y1="25" x2="${tx}" y2="${height - 30}" class="tick"/>`, `<text x="${tx}" y="${height - 12}" text-anchor="middle" class="tick-label">${escapeHtml(tick.label)}</text>`);
  }
  if (doc.incident.start) {
    const sx = x(Date.parse(doc.incident.start)).toFixed(1);
    parts.push(`<line x1="${sx}" y1="20" x2="${sx}" y2="${height - 30}" class="start"/>`, `<text x="${sx}" y="16" text-anchor="middle" class="start-label">incident start ${escapeHtml(shortTime(doc.incident.start))}</text>`);
  }
  for (const s of signins) parts.push(signInMark(s, x(Date.parse(s.at)), (s.success ? rows.success : rows.failure) + jitter(s.requestId || s.at, 34)));
  // Writes seconds apart would draw over each other: those within a few pixels are one mark with their count.
  const clusters: Array<{ x: number; members: Array<{ n: number; a: (typeof actions)[number] }> }> = [];
  actions.forEach((a, i) => {
    const ax = x(Date.parse(a.recordedAt));
    const last = clusters.at(-1);
    if (last && ax - last.x < 14) last.members.push({ n: i + 1, a });
    else clusters.push({ x: ax, members: [{ n: i + 1, a }] });
  });
  for (const cluster of clusters) {
    const failed = cluster.members.some(({ a }) => a.kind === "action" && a.data.status === "failed");
    const planned = cluster.members.every(({ a }) => a.kind === "action.planned");
    const colour = failed ? "#c4202b" : planned ? "#4f8fd6" : "#2f9e44";
    const first = cluster.members[0]!.n;
    const last = cluster.members.at(-1)!.n;
    const label = first === last ? `${first}` : `${first}-${last}`;
    const cx = cluster.x.toFixed(1);
    const anchor = cluster.x > width - right - 40 ? "end" : "middle";
    const title = cluster.members.map(({ n, a }) => `${n}. ${shortTime(a.recordedAt)} ${oneLine(a.summary)}`).join("\n");
    parts.push(
      `<g class="action-mark" data-count="${cluster.members.length}">${cluster.members.map(({ a }) => `<g class="action" data-at="${escapeHtml(a.recordedAt)}"></g>`).join("")}<path d="M ${cx} ${rows.actions - 7} l 7 7 l -7 7 l -7 -7 z" fill="${colour}"/><text x="${cx}" y="${rows.actions - 12}" text-anchor="${anchor}" class="action-label">${escapeHtml(label)}</text><title>${escapeHtml(title)}</title></g>`,
    );
  }
  parts.push("</svg>");
  return parts.join("\n");
}

function signInMark(s: SignInPoint, cx: number, cy: number): string {
  const fill = riskColour[s.risk] ?? quietColour;
  const r = s.flagged ? 5.5 : 3.5;
  const ring = s.newAsn || s.newCountry ? ` stroke="#111" stroke-width="1.6"` : "";
  const label = `${shortTime(s.at)} ${s.success ? "success" : `failure ${s.resultType}`} ${s.ip} AS${s.asn} ${s.country} ${s.app}${s.risk ? ` risk ${s.risk}` : ""}${s.newAsn ? " NEW ASN" : ""}${s.newCountry ? " NEW COUNTRY" : ""}`;
  const x = cx.toFixed(1);
  const y = cy.toFixed(1);
  const shape = s.success
    ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${fill}"${ring}/>`
    : `<rect x="${(cx - r).toFixed(1)}" y="${(cy - r).toFixed(1)}" width="${(2 * r).toFixed(1)}" height="${(2 * r).toFixed(1)}" fill="${fill}"${ring} transform="rotate(45 ${x} ${y})"/>`;
  return `<g class="signin${s.success ? " success" : " failure"}${s.newAsn || s.newCountry ? " new-network" : ""}" data-at="${escapeHtml(s.at)}">${shape}<title>${escapeHtml(oneLine(label))}</title></g>`;
}

export const chartLegend = `<p class="legend"><span class="dot" style="background:${quietColour}"></span>no or hidden risk <span class="dot" style="background:${riskColour.low}"></span>low <span class="dot" style="background:${riskColour.medium}"></span>medium <span class="dot" style="background:${riskColour.high}"></span>high risk; circle = success, diamond = failure; <span class="dot ring"></span>ring = network or country new to the user; larger = evidence of a finding; numbered diamonds = response actions (listed below)</p>`;
