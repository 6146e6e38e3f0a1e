import { existsSync } from "node:fs";
import { AzirError } from "../core/errors.js";

/** The Chromium to print with: AZIR_CHROMIUM when set (that one only), else the Debian, Ubuntu and Chrome paths. */
export function findChromium(env: Record<string, string | undefined>): string | undefined {
  const candidates = env.AZIR_CHROMIUM ? [env.AZIR_CHROMIUM] : ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];
  return candidates.find((c) => existsSync(c));
}

/**
 * The HTML report printed to PDF by a real headless Chromium (playwright-core drives the one installed on the
 * machine; azir never downloads a browser). Every request the page would make is refused: the report is
 * self-contained, and printing it must not reach anywhere.
 */
export async function htmlToPdf(html: string, env: Record<string, string | undefined>): Promise<Buffer> {
  const executablePath = findChromium(env);
  if (!executablePath) {
    throw new AzirError("unsupported", "no Chromium found to print the PDF", {
      hint: `${env.AZIR_CHROMIUM ? `AZIR_CHROMIUM (${env.AZIR_CHROMIUM}) does not exist; ` : ""}install one (Debian/Ubuntu: apt-get install chromium) or point AZIR_CHROMIUM at it; --format html gives the same report without one`,
    });
  }
  const { chromium } = await import("playwright-core");
  // playwright starts the browser headless with a new, temporary profile of its own.
  const browser = await chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    await page.route("**/*", (route) => route.abort());
    await page.setContent(html, { waitUntil: "load" });
    return await page.pdf({ format: "A4", printBackground: true, margin: { top: "12mm", bottom: "12mm", left: "10mm", right: "10mm" } });
  } finally {
    await browser.close();
  }
}
