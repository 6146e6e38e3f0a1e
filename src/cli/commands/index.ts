import type { CommandGroup, RegisteredCommand } from "../define-command.js";
import { baselineCommands } from "./baseline.js";
import { containCommand } from "./contain.js";
import { doctorCommand } from "./doctor.js";
import { hardenCommand } from "./harden.js";
import { huntCommand } from "./hunt.js";
import { investigateCommand } from "./investigate.js";
import { kqlCommand } from "./kql.js";
import { releaseCommand } from "./release.js";
import { respondCommand } from "./respond.js";
import { runCommand } from "./run.js";
import { runbooksCommand } from "./runbooks.js";
import { schemaCommand } from "./schema.js";
import { snapshotCommand } from "./snapshot.js";
import { tabletopCommands } from "./tabletop.js";
import { timelineCommands } from "./timeline.js";
import { validateCommand } from "./validate.js";
import { verifyCommand } from "./verify.js";

/** Every command of azir, in the order `azir --help` lists them. */
export const commands: ReadonlyArray<RegisteredCommand | CommandGroup> = [
  respondCommand,
  containCommand,
  hardenCommand,
  releaseCommand,
  investigateCommand,
  huntCommand,
  verifyCommand,
  snapshotCommand,
  runCommand,
  runbooksCommand,
  validateCommand,
  schemaCommand,
  baselineCommands,
  timelineCommands,
  tabletopCommands,
  kqlCommand,
  doctorCommand,
];
