/**
 * Which packages `mkrepo remove PATTERN...` names. A pattern matches a package when it matches,
 * as a whole, its package name (`hello`), its file name (`hello_2.10-3_amd64.deb`) or its key
 * in the repository (`pool/main/h/hello/hello_2.10-3_amd64.deb`). Shell-style globs: `*` any
 * run of characters (`/` included), `?` one character, `[abc]`/`[a-z]`/`[!abc]` one of a set.
 * @module
 */

/** A package as patterns see it. */
export interface PatternTarget {
  key: string;
  /** Package name; undefined when unknown (a file only). */
  name?: string;
}

/** A compiled pattern. */
export interface RemovePattern {
  text: string;
  matches(target: PatternTarget): boolean;
}

/** Compiles a shell-style glob into a whole-string RegExp. */
export function globRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") re += "[\\s\\S]*";
    else if (c === "?") re += "[\\s\\S]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        let set = glob.slice(i + 1, end);
        const negate = set.startsWith("!") || set.startsWith("^");
        if (negate) set = set.slice(1);
        re += `[${negate ? "^" : ""}${set.replace(/[\\\]^]/g, "\\$&")}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** Compiles a pattern of `mkrepo remove`. */
export function removePattern(text: string): RemovePattern {
  const re = globRegExp(text);
  return {
    text,
    matches: ({ key, name }) =>
      re.test(key) || re.test(key.slice(key.lastIndexOf("/") + 1)) ||
      (name !== undefined && re.test(name)),
  };
}
