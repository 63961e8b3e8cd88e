/**
 * Copies of strings that do not keep a larger text alive.
 * @module
 */

/**
 * A copy of `s` that does not keep the string it was sliced from alive (V8 makes slices of 13
 * characters or more views of their parent): what a record keeps of a text read once, so that
 * the text is garbage afterwards.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : (s + " ").slice(0, -1);
}
