/**
 * A client request that is well-formed JSON and passed its schema, but cannot be translated for Gemini
 * (e.g. a tool result answering no tool call, a malformed data URI, a feature not supported yet).
 * Request-scoped: the HTTP layer answers 400 in the client's dialect and never cools a credential down.
 */
export class TranslationError extends Error {
  override readonly name = 'TranslationError';

  /** The offending field as a path into the client body, e.g. `messages[2].content[0].image_url.url`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

export function isTranslationError(value: unknown): value is TranslationError {
  return value instanceof TranslationError;
}
