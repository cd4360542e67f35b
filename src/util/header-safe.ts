/**
 * A client-supplied text (a model name) made fit for an HTTP header value: at most 128 characters, anything
 * but printable ASCII replaced by "_". Node refuses control and non-Latin-1 characters in headers, which
 * would otherwise fail the request after the work was done.
 */
export function headerSafe(text: string): string {
  return text.slice(0, 128).replace(/[^\x20-\x7e]/g, '_');
}

/** Whether undici will send `value` in a header at all: no control characters but tab, nothing above U+00FF. */
export function isHeaderValue(value: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value);
}
