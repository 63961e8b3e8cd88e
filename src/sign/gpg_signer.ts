/**
 * GPG_SIGN_KEY compatibility: signs by spawning gpg with a key of the user's keyring, as the
 * original mkrepo did. The only code that runs gpg; data goes through stdin/stdout.
 * @module
 */

import { MkrepoError } from "../errors.ts";
import type { Signer } from "./signer.ts";
import { clearSignBody } from "./clear_sign_body.ts";

/** Options of createGpgSigner(). */
export interface GpgSignerOptions {
  /** Key ID, fingerprint or user ID known to gpg (the GPG_SIGN_KEY value). */
  keyId: string;
  /** gpg program (default "gpg" from PATH). */
  gpgPath?: string;
  /** GNUPGHOME for gpg (default: gpg's own). */
  gpgHome?: string;
  /** Extra environment variables for gpg. */
  env?: Record<string, string>;
}

/** Checks that gpg runs and holds a usable secret key `keyId`; the Signer then spawns gpg. */
export async function createGpgSigner(options: GpgSignerOptions): Promise<Signer> {
  const gpg = options.gpgPath ?? "gpg";
  const env = { ...options.env, ...(options.gpgHome ? { GNUPGHOME: options.gpgHome } : {}) };
  const source = `GPG_SIGN_KEY=${options.keyId}`;
  const run = (args: string[], input?: Uint8Array) => runGpg(gpg, args, env, source, input);
  const base = ["--batch", "--yes", "--no-tty"];

  const listing = await run([...base, "--with-colons", "--list-secret-keys", "--", options.keyId]);
  const key = parseSecretKey(new TextDecoder().decode(listing), source);
  const userID = key.userID ? ` "${key.userID}"` : "";
  const description = `${key.algorithm} key ${key.fingerprint}${userID} (gpg)`;
  const sign = [...base, "--local-user", options.keyId, "--digest-algo", "SHA256", "--armor"];
  const utf8 = new TextEncoder();

  return {
    fingerprint: key.fingerprint,
    description,
    async publicKeyArmored() {
      const out = await run([...base, "--armor", "--export", "--", options.keyId]);
      return new TextDecoder().decode(out);
    },
    async clearSign(text: string) {
      const body = clearSignBody(text);
      const out = await run([...sign, "--clearsign"], utf8.encode(body + "\n"));
      return new TextDecoder().decode(out);
    },
    async detachSign(data: Uint8Array | string) {
      const bytes = typeof data === "string" ? utf8.encode(data) : data;
      return new TextDecoder().decode(await run([...sign, "--detach-sign"], bytes));
    },
  };
}

/**
 * The key gpg signs with when given none, as the original mkrepo's `--sign` without
 * GPG_SIGN_KEY: the fingerprint of the first secret key gpg lists that can sign (a
 * `default-key` in gpg.conf is not consulted). Undefined when gpg is not installed, may not
 * run, or holds no such key.
 */
export async function defaultGpgKey(
  options: Omit<GpgSignerOptions, "keyId"> = {},
): Promise<string | undefined> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(options.gpgPath ?? "gpg", {
      args: ["--batch", "--no-tty", "--with-colons", "--list-secret-keys"],
      env: { ...options.env, ...(options.gpgHome ? { GNUPGHOME: options.gpgHome } : {}) },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
  } catch {
    return undefined; // not installed, or no --allow-run=gpg
  }
  if (!out.success) return undefined;
  const records = new TextDecoder().decode(out.stdout).split("\n").map((l) => l.split(":"));
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    // validity (e)xpired, (r)evoked, (d)isabled, (i)nvalid; capabilities: S = can sign;
    // a "#" serial marks a stub whose secret part is elsewhere.
    if (r[0] !== "sec" || "erdi".includes(r[1] || "-") || !r[11]?.includes("S")) continue;
    if (r[14] === "#") continue;
    const fpr = records.slice(i + 1).find((f) => f[0] === "fpr" || f[0] === "sec");
    if (fpr?.[0] === "fpr" && fpr[9]) return fpr[9].toUpperCase();
  }
  return undefined;
}

interface GpgKey {
  fingerprint: string;
  algorithm: string;
  userID?: string;
}

/** Reads `gpg --with-colons --list-secret-keys` (the first key) and checks its state. */
function parseSecretKey(listing: string, source: string): GpgKey {
  const records = listing.split("\n").map((line) => line.split(":"));
  const sec = records.findIndex((r) => r[0] === "sec");
  const fail = (reason: string, hint?: string) =>
    new MkrepoError({ code: "signing", key: source, action: "use signing key", reason, hint });
  if (sec < 0) throw fail("gpg lists no secret key for it");
  const r = records[sec];
  const validity = r[1];
  if (validity === "e") throw fail("the key is expired");
  if (validity === "r") throw fail("the key is revoked");
  const bits = Number(r[2]);
  const algo = r[3];
  // RFC 4880 algorithm numbers: 1 and 3 RSA, 17 DSA, 19 ECDSA, 22 EdDSA.
  if ((algo === "1" || algo === "3") && bits < 2048) {
    throw fail(`the key is RSA ${bits} bits; apt and dnf require at least 2048 bits`);
  }
  if (algo === "17") throw fail("the key is DSA, which newer apt rejects");
  const algorithm = algo === "1" || algo === "3"
    ? `rsa${bits}`
    : algo === "22"
    ? "ed25519"
    : algo === "19"
    ? "ecdsa"
    : `algorithm-${algo}`;
  let fingerprint = "";
  let userID: string | undefined;
  for (let i = sec + 1; i < records.length && records[i][0] !== "sec"; i++) {
    if (records[i][0] === "fpr" && !fingerprint) fingerprint = records[i][9];
    if (records[i][0] === "uid" && userID === undefined) userID = unescapeColons(records[i][9]);
  }
  return { fingerprint: fingerprint.toUpperCase(), algorithm, userID };
}

function unescapeColons(field: string): string {
  return field.replace(/\\x([0-9a-f]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

async function runGpg(
  gpg: string,
  args: string[],
  env: Record<string, string>,
  source: string,
  input?: Uint8Array,
): Promise<Uint8Array> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(gpg, {
      args,
      env,
      stdin: input ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) {
      throw new MkrepoError({
        code: "signing",
        key: source,
        action: "use signing key",
        reason: "GPG_SIGN_KEY is set but gpg is not installed",
        hint: "install gpg, or sign without it: create a key with `mkrepo keygen` and pass it in " +
          "MKREPO_SIGNING_KEY (then unset GPG_SIGN_KEY)",
        cause,
      });
    }
    throw cause;
  }
  const output = child.output();
  if (input) {
    const writer = child.stdin.getWriter();
    // gpg may exit early (unknown key) and close stdin: its exit status tells why.
    await writer.write(input).catch(() => {});
    await writer.close().catch(() => {});
  }
  const result = await output;
  if (!result.success || result.stdout.length === 0) {
    const stderr = new TextDecoder().decode(result.stderr).trim().split("\n").slice(-3).join("; ");
    throw new MkrepoError({
      code: "signing",
      key: source,
      action: "sign with gpg key",
      reason: `\`gpg ${
        args.filter((a) => a !== "--").join(" ")
      }\` exited with code ${result.code}` +
        (stderr ? `: ${stderr}` : ""),
    });
  }
  return result.stdout;
}
