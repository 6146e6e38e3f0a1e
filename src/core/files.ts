import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { AzirError } from "./errors.js";

/** At most this much from a file a person names (a config, a users list, a baseline): far beyond any real one. */
export const maxUserFileBytes = 256 * 1024 * 1024;

/**
 * Reads a file a person named, as text. It is opened without blocking and checked before anything is read: a FIFO,
 * a device (`/dev/zero`), a directory or `/proc` entry is refused as "not a regular file", and so is one larger than
 * `maxBytes`, instead of a read that hangs or fills memory. A missing file, a symlink loop or a denied read is a usage
 * error naming the file and the cause.
 */
export interface UserFileOptions {
  /** How the message names the file ("config file", "--users-file"). */
  what: string;
  maxBytes?: number;
  hint?: string;
  /** The message for a file over `maxBytes`, when the caller words it its own way. */
  tooLarge?: (size: number, maxBytes: number) => string;
}

export async function readUserFile(path: string, options: UserFileOptions): Promise<string> {
  return (await readUserBytes(path, options)).toString("utf8");
}

/** `readUserFile`, as bytes. */
export async function readUserBytes(path: string, options: UserFileOptions): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? maxUserFileBytes;
  const hint = options.hint ? { hint: options.hint } : {};
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    throw new AzirError("usage", `cannot read ${options.what} ${path}: ${describeErrno(cause)}`, { ...hint, cause });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new AzirError("usage", `${options.what} ${path} is not a regular file`, { ...hint });
    if (info.size > maxBytes) throw new AzirError("usage", options.tooLarge?.(info.size, maxBytes) ?? `${options.what} ${path} is larger than ${maxBytes} bytes (${info.size})`, { ...hint });
    return await handle.readFile();
  } catch (cause) {
    if (cause instanceof AzirError) throw cause;
    throw new AzirError("usage", `cannot read ${options.what} ${path}: ${describeErrno(cause)}`, { ...hint, cause });
  } finally {
    await handle.close();
  }
}

function describeErrno(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "ELOOP") return "a symbolic link loop";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "a directory, not a file";
  return error instanceof Error ? error.message : String(error);
}
