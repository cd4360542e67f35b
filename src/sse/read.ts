/**
 * Reads a server-sent event stream of JSON values (CRLF-tolerant, via eventsource-parser). Generic: the caller
 * says how an event's value maps to what it yields, which values are errors, and how a broken connection is
 * reported. One generator does framing, parsing and mapping, because each hop through another async generator
 * costs promises on every event.
 */
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';

export interface JsonEventHooks<T, U> {
  /** Maps each parsed value (e.g. unwrapping an envelope). */
  map?: (value: T) => U;
  /** An in-band error (e.g. `{"error": …}`): returns the Error to throw, or undefined for a normal value. */
  errorOf?: (value: unknown, data: string) => Error | undefined;
  /** Turns a failure while reading the body (reset, timeout) into the error to throw. */
  onFailure?: (err: unknown) => Error;
}

/**
 * Parsed JSON events. A malformed event is skipped (as gemini-cli does); a last event without its blank line
 * still counts (some servers close right after the data line).
 */
export async function* readJsonEvents<T, U = T>(
  body: AsyncIterable<Uint8Array | string>,
  hooks: JsonEventHooks<T, U> = {},
): AsyncGenerator<U> {
  const pending: string[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event.data) });
  const decoder = new StringDecoder('utf8');
  const map = hooks.map ?? ((v: T) => v as unknown as U);
  const errorOf = hooks.errorOf;
  try {
    for await (const chunk of body) {
      parser.feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
      for (let data = pending.shift(); data !== undefined; data = pending.shift()) {
        const value = parseEvent(data, errorOf);
        if (value !== SKIP) yield map(value as T);
      }
    }
    parser.feed(decoder.end() + '\n\n');
    for (let data = pending.shift(); data !== undefined; data = pending.shift()) {
      const value = parseEvent(data, errorOf);
      if (value !== SKIP) yield map(value as T);
    }
  } catch (err) {
    if (err instanceof InBandError) throw err.error;
    throw hooks.onFailure ? hooks.onFailure(err) : err;
  }
}

const SKIP = Symbol('skip');

/** Carries an in-band error through the catch above untouched by onFailure. */
class InBandError {
  constructor(readonly error: Error) {}
}

function parseEvent(data: string, errorOf: JsonEventHooks<unknown, unknown>['errorOf']): unknown {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return SKIP;
  }
  const error = errorOf?.(value, data);
  if (error) throw new InBandError(error);
  return value;
}
