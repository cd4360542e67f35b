/**
 * Appends `items` to `target` in place. Not `target.push(...items)`: spreading a few hundred thousand items (a
 * request's parts or blocks, well within the body limit) into one call overflows the stack.
 */
export function append<T>(target: T[], items: Iterable<T>): void {
  for (const item of items) target.push(item);
}
