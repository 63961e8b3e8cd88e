/**
 * Repository locations: a local folder or `s3://bucket/prefix`, and the one place that joins
 * a location's prefix with a key.
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MkrepoError } from "../errors.ts";

/** Where a repository lives. */
export type Location =
  | { kind: "fs"; root: string; display: string }
  | { kind: "s3"; bucket: string; prefix: string; display: string };

/** Parses a PATH argument: `s3://bucket[/prefix]`, `file:///path`, or a local path. */
export function parseLocation(arg: string, cwd = "."): Location {
  if (/^s3:\/\//i.test(arg)) {
    const rest = arg.slice(5);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? "" : trimSlashes(rest.slice(slash + 1));
    if (!/^[a-z0-9][a-z0-9.\-_]{1,254}$/i.test(bucket)) {
      throw new MkrepoError({
        code: "usage",
        action: "use location",
        key: arg,
        reason: `"${bucket}" is not a valid bucket name`,
        hint: "write S3 locations as s3://bucket/prefix",
      });
    }
    return { kind: "s3", bucket, prefix: prefix === "." ? "" : prefix, display: arg };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg) && !/^file:\/\//i.test(arg)) {
    throw new MkrepoError({
      code: "usage",
      action: "use location",
      key: arg,
      reason: "only local paths, file:// and s3:// locations are supported",
    });
  }
  if (arg.trim() === "") {
    throw new MkrepoError({
      code: "usage",
      action: "use location",
      key: arg,
      reason: "the PATH is empty",
      hint: "an unset shell variable? give a folder or s3://bucket/prefix",
    });
  }
  let path = arg;
  if (/^file:\/\//i.test(arg)) {
    try {
      path = fileURLToPath(arg);
    } catch (err) {
      throw new MkrepoError({
        code: "usage",
        action: "use location",
        key: arg,
        reason: err instanceof Error ? err.message : String(err),
        hint: "file:// URLs must name a local absolute path, e.g. file:///srv/repo",
      });
    }
  }
  const root = isAbsolute(path) ? resolve(path) : resolve(cwd, path);
  return { kind: "fs", root, display: arg };
}

/** Removes leading and trailing slashes. */
export function trimSlashes(s: string): string {
  return s.replace(/^\/+/, "").replace(/\/+$/, "");
}

/** Joins a prefix ("" or "a/b") and a relative key into a full object key. */
export function joinKey(prefix: string, key: string): string {
  return prefix === "" ? key : `${prefix}/${key}`;
}
