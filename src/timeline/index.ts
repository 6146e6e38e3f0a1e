export * from "./canonical.js";
export * from "./document.js";
export * from "./event.js";
export * from "./export.js";
export * from "./journal.js";
export * from "./redact.js";
export * from "./render.js";
export * from "./resume.js";
