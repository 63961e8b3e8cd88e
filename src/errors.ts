/**
 * The one error class of mkrepo. Every failure a user can meet is a MkrepoError
 * carrying the object it concerns, a stable code, a reason and an optional hint.
 * @module
 */

/**
 * Stable error codes; the CLI maps them to exit codes (usage → 2, partial-publish → 3,
 * others → 1).
 */
export type ErrorCode =
  | "usage"
  | "malformed-package"
  | "malformed-index"
  | "storage"
  | "not-found"
  | "access-denied"
  | "conflict"
  /** A publication failed and could not be fully undone: the repository is partly new. */
  | "partial-publish"
  | "signing"
  | "verify"
  | "internal";

/** Fields of a MkrepoError. */
export interface MkrepoErrorInit {
  code: ErrorCode;
  /** Object key, path or URL the error is about (omitted for usage errors). */
  key?: string;
  /** Byte offset in the object where the problem was found. */
  offset?: number;
  /** What was wrong, in a few words ("control.tar.xz ends at byte 18342, expected 20480"). */
  reason: string;
  /** What the user can do about it. */
  hint?: string;
  /** Verb phrase used in the message: `Cannot <action> "<key>"`. Defaults by code. */
  action?: string;
  cause?: unknown;
}

const defaultAction: Record<ErrorCode, string> = {
  "usage": "run",
  "malformed-package": "read package",
  "malformed-index": "read index",
  "storage": "access",
  "not-found": "find",
  "access-denied": "access",
  "conflict": "publish",
  "partial-publish": "publish",
  "signing": "sign",
  "verify": "verify",
  "internal": "run",
};

/** C0 controls, DEL and C1 controls: characters that break a line or a list when shown. */
function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

/** True when the text holds a control character (C0, DEL or C1). */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isControl(text.charCodeAt(i))) return true;
  return false;
}

const SHORT_ESCAPES: Record<number, string> = {
  8: "\\b",
  9: "\\t",
  10: "\\n",
  12: "\\f",
  13: "\\r",
};

/**
 * A text with its control characters (C0, DEL, C1) written as escapes (`\n`, `\u007f`), so a
 * key or value taken from a package or a listing stays on one line in messages and lists.
 */
export function escapeControl(text: string): string {
  if (!hasControlCharacter(text)) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out += !isControl(code)
      ? text[i]
      : SHORT_ESCAPES[code] ?? `\\u${code.toString(16).padStart(4, "0")}`;
  }
  return out;
}

/** `scheme://user:password@`: the user info of a URL (RFC 3986 section 3.2.1). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@'"]+@/gi;
/** Query parameters that carry credentials: presigned S3 URLs, tokens, passwords. */
const URL_SECRET_PARAM =
  /([?&](?:x-amz-signature|x-amz-credential|x-amz-security-token|signature|sig|token|access_token|password|secret)=)[^&\s'"#]*/gi;

/**
 * A text with the secrets of any URL in it replaced by `***`: user info
 * (`http://user:SECRET@host` → `http://***@host`) and credential query parameters. Applied to
 * every message mkrepo shows, since endpoints and errors of libraries can carry them.
 */
export function redactUrls(text: string): string {
  return text.replace(URL_USERINFO, "$1***@").replace(URL_SECRET_PARAM, "$1***");
}

/** The hint of a "conflict": another run published first, and this one can simply run again. */
export const CONFLICT_HINT = "run mkrepo again once the other jobs are done; nothing was lost";

/** An error with an object key, a reason, an optional hint and a stable code. */
export class MkrepoError extends Error {
  readonly code: ErrorCode;
  readonly key?: string;
  readonly offset?: number;
  readonly reason: string;
  readonly hint?: string;

  constructor(init: MkrepoErrorInit) {
    const action = init.action ?? defaultAction[init.code];
    const where = init.key !== undefined ? ` "${escapeControl(init.key)}"` : "";
    const at = init.offset !== undefined ? ` at byte ${init.offset}` : "";
    super(redactUrls(`Cannot ${action}${where}${at}: ${escapeControl(init.reason)}`), {
      cause: init.cause,
    });
    this.name = "MkrepoError";
    this.code = init.code;
    this.key = init.key;
    this.offset = init.offset;
    this.reason = init.reason;
    this.hint = init.hint;
  }
}

/**
 * Turns any thrown value into one line (plus hint and, when verbose, causes and stack), with
 * the secrets of URLs redacted.
 */
export function formatError(err: unknown, options: { verbose?: boolean } = {}): string {
  return redactUrls(formatErrorText(err, options));
}

function formatErrorText(err: unknown, options: { verbose?: boolean }): string {
  if (err instanceof MkrepoError) {
    let text = `error: ${err.message}`;
    if (err.hint) text += `\nhint: ${err.hint}`;
    if (options.verbose) {
      let cause = err.cause;
      while (cause) {
        text += `\nCaused by: ${
          cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)
        }`;
        cause = cause instanceof Error ? cause.cause : undefined;
      }
    }
    return text;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return options.verbose ? `error: ${e.stack ?? e.message}` : `error: ${e.message}`;
}
