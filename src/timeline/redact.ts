/**
 * Redaction of tokens and secrets (DESIGN.md section 7): nothing that grants access may reach the journal, a log
 * line or an error message. `redact` is deep and pure: it returns a copy and never mutates its argument.
 */

/** What a masked value becomes. */
export const REDACTED = "[redacted]";

// Key names are matched exactly, ignoring case: `key` is a secret (storage account keys, API keys) while `keyId`
// (a credential's id, needed to remove it) is not, so no prefix or substring matching.
const secretKeys = new Set(
  [
    "secretText",
    "secret",
    "password",
    "clientSecret",
    "client_secret",
    "access_token",
    "accessToken",
    "refresh_token",
    "refreshToken",
    "id_token",
    "idToken",
    "authorization",
    "accessSAS",
    "sasUrl",
    "sasToken",
    "key",
    "primaryKey",
    "secondaryKey",
    "connectionString",
    "accountKey",
    "sharedAccessKey",
    "apiKey",
    "api-key",
    "x-api-key",
    "privateKey",
    "private_key",
    "client_assertion",
    "token",
    "cookie",
    "set-cookie",
  ].map((k) => k.toLowerCase()),
);

/** True when a property of this name holds a secret whatever its value. */
export function isSecretKey(name: string): boolean {
  return secretKeys.has(name.toLowerCase());
}

interface StringRule {
  pattern: RegExp;
  replace: string;
}

const stringRules: readonly StringRule[] = [
  // `Authorization: Bearer <token>` in headers, messages, curl lines.
  { pattern: /\bBearer\s+[A-Za-z0-9\-._~+/]+=*/gi, replace: `Bearer ${REDACTED}` },
  // JWTs (access and id tokens): three base64url segments, the header always starting `eyJ` (`{"`).
  { pattern: /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, replace: REDACTED },
  // SAS signatures in blob or disk-export URLs (`...?sv=2022-11-02&sr=b&sp=r&sig=...`): the signature is the secret.
  { pattern: /\b(sig=)[^&\s"'#<>]+/gi, replace: `$1${REDACTED}` },
  // OAuth form bodies and query strings.
  { pattern: /\b((?:client_secret|access_token|refresh_token|id_token|client_assertion|password)=)[^&\s"'#<>]+/gi, replace: `$1${REDACTED}` },
  // Storage connection strings.
  { pattern: /\b((?:AccountKey|SharedAccessKey|SharedAccessSignature)=)[^;\s"'<>]+/gi, replace: `$1${REDACTED}` },
];

/** Masks secrets inside free text: bearer tokens, JWTs, SAS signatures, secrets in query strings. */
export function redactString(text: string): string {
  let out = text;
  for (const rule of stringRules) out = out.replace(rule.pattern, rule.replace);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Exact strings to mask wherever they appear: the tokens a credential issued in this run, say. */
export interface KnownSecrets {
  values(): Iterable<string>;
}

function maskKnown(text: string, known: KnownSecrets | undefined): string {
  if (!known) return text;
  let out = text;
  for (const secret of known.values()) if (secret.length >= 8 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

function walk(value: unknown, seen: WeakSet<object>, known?: KnownSecrets): unknown {
  if (typeof value === "string") return redactString(maskKnown(value, known));
  if (Array.isArray(value)) {
    if (seen.has(value)) return "[circular]";
    seen.add(value);
    const out = value.map((item) => walk(item, seen, known));
    seen.delete(value);
    return out;
  }
  if (isPlainObject(value)) {
    if (seen.has(value)) return "[circular]";
    seen.add(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // A null or absent secret discloses nothing, and Graph returns `password: null` on password methods.
      out[k] = isSecretKey(k) && v !== null && v !== undefined ? REDACTED : walk(v, seen, known);
    }
    seen.delete(value);
    return out;
  }
  if (value instanceof Error) {
    const copy = new Error(redactString(maskKnown(value.message, known)));
    copy.name = value.name;
    return copy;
  }
  return value;
}

/**
 * Returns a deep copy of `value` with secrets masked as "[redacted]": values of secret-named keys (see
 * `isSecretKey`) in plain objects at any depth, and bearer tokens, JWTs, SAS signatures and secrets in query
 * strings inside any string. Other objects (Date, Buffer, class instances) are returned as they are, except
 * Error, which becomes a plain Error with the message redacted. `known` adds exact strings to mask anywhere (an
 * opaque token a service echoed in an error matches no pattern).
 */
export function redact<T>(value: T, known?: KnownSecrets): T {
  return walk(value, new WeakSet(), known) as T;
}
