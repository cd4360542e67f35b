/**
 * Reads a server-sent-event byte stream into event data strings. eventsource-parser does the framing
 * (CRLF and LF, multi-line data, comments), so Google's `\r\n\r\n` and `\n\n` both work.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export async function* readSseData(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    while (pending.length > 0) yield pending.shift()!.data;
  }
  parser.feed(decoder.decode());
  // A final event without its blank line still counts (some servers close right after the last data line).
  parser.feed('\n\n');
  while (pending.length > 0) yield pending.shift()!.data;
}
