/**
 * Fitting text to the terminal: lines wrapped at spaces (a hanging indent keeps them readable), long words broken
 * only where they have a natural joint (`/`, `,`, `;`), and tables shrunk column by column with an ellipsis at a
 * word boundary. Widths ignore colour escapes.
 */

const ansi = /\u001b\[[0-9;]*m/g;

export function visibleLength(text: string): number {
  return text.replace(ansi, "").length;
}

/** Pieces of a word too long for a line, cut after a joint character where there is one in reach. */
function breakWord(word: string, room: number): string[] {
  const out: string[] = [];
  let rest = word;
  while (visibleLength(rest) > room) {
    const plain = rest.replace(ansi, "");
    const window = plain.slice(0, room);
    const joint = Math.max(window.lastIndexOf("/"), window.lastIndexOf(","), window.lastIndexOf(";"), window.lastIndexOf("&"), window.lastIndexOf("?"));
    const cut = joint > 0 ? joint + 1 : room;
    out.push(plain.slice(0, cut));
    rest = plain.slice(cut);
  }
  out.push(rest);
  return out;
}

/** One line as several no wider than `width`, each continuation indented under the first's text. */
export function wrapLine(line: string, width: number): string[] {
  if (width <= 0 || !Number.isFinite(width) || visibleLength(line) <= width) return [line];
  const lead = /^\s*/.exec(line.replace(ansi, ""))?.[0].length ?? 0;
  const indent = " ".repeat(Math.min(lead + 4, Math.floor(width / 3)));
  const words = line.trimStart().split(/ +/);
  const out: string[] = [];
  let current = " ".repeat(lead);
  let currentLength = lead;
  const prefix = (): string => (out.length === 0 ? " ".repeat(lead) : indent);
  for (const word of words) {
    const length = visibleLength(word);
    const start = current.trim() === "";
    if (!start && currentLength + 1 + length > width) {
      out.push(current);
      current = prefix();
      currentLength = current.length;
    }
    const room = width - currentLength - (current.trim() === "" ? 0 : 1);
    if (length > room) {
      const pieces = breakWord(word, Math.max(room, 8));
      for (const [i, piece] of pieces.entries()) {
        if (i > 0) {
          out.push(current);
          current = prefix();
          currentLength = current.length;
        }
        current += (current.trim() === "" ? "" : " ") + piece;
        currentLength = visibleLength(current);
      }
      continue;
    }
    current += (current.trim() === "" ? "" : " ") + word;
    currentLength += (start ? 0 : 1) + length;
  }
  out.push(current);
  return out.map((l) => l.replace(/\s+$/, ""));
}

/** Every line of a text fitted to the width. */
export function fitText(text: string, width: number): string {
  return text
    .split("\n")
    .flatMap((l) => wrapLine(l, width))
    .join("\n");
}

/** A cell cut to `width`, at a word boundary when one is near, with an ellipsis. */
export function truncate(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return text.slice(0, width);
  const cut = text.slice(0, width - 1);
  const space = cut.lastIndexOf(" ");
  return `${space > width / 2 ? cut.slice(0, space) : cut}…`;
}

/**
 * Rows under a header, each column as wide as its widest cell, shrunk widest-first until the table fits `width`
 * (never narrower than its header or 6 characters).
 */
export function fitTable(header: string[], rows: string[][], width: number, indent = 2): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const gap = 2;
  const total = (): number => indent + widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1);
  const floor = header.map((h) => Math.max(6, h.length));
  while (total() > width) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) if (widths[i]! > floor[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    if (widest < 0) break;
    widths[widest] = Math.max(floor[widest]!, widths[widest]! - Math.max(1, total() - width));
  }
  const line = (cells: string[]): string => " ".repeat(indent) + cells.map((c, i) => truncate(c, widths[i]!).padEnd(widths[i]!)).join(" ".repeat(gap)).replace(/\s+$/, "");
  return [line(header), ...rows.map(line)];
}
