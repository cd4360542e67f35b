import type { GeminiBlob, GeminiPart } from '../../types/gemini.js';
import type { MediaResolver } from '../openai-chat/media.js';
import { TranslationError } from '../translation-error.js';
import type { AnthropicDocumentBlock, AnthropicImageBlock, AnthropicRequest, AnthropicSearchResultBlock } from './request-schema.js';

const REMOTE = /^https?:\/\//i;
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
// Standard or URL-safe alphabet; Google's proto-JSON `bytes` accepts both.
const BASE64 = /^(?:[A-Za-z0-9+/]+|[A-Za-z0-9_-]+)={0,2}$/;

/** Whether a string is base64 data (standard or URL-safe alphabet), as Gemini's thought signatures are. */
export function isBase64(value: string): boolean {
  return BASE64.test(value);
}

export { append } from '../../util/append.js';

/** Keeps the blocks whose type Rotor reads (the schema marks others `unknown`). */
export function known<T extends { type: string }>(blocks: ReadonlyArray<T | { type: string; unknown: true }>): T[] {
  return blocks.filter((b): b is T => !('unknown' in b));
}

/**
 * The http(s) URLs of a request's image and document blocks (in user messages and inside tool results), in
 * order, each as often as it is used: what the handler fetches (bounded, address-guarded) before translating.
 */
export function collectAnthropicMediaUrls(req: Pick<AnthropicRequest, 'messages'>): string[] {
  const urls: string[] = [];
  const visit = (block: { type: string; source?: unknown; content?: unknown }): void => {
    const source = block.source as { type?: unknown; url?: unknown; content?: unknown } | undefined;
    if ((block.type === 'image' || block.type === 'document') && source?.type === 'url' && typeof source.url === 'string' && REMOTE.test(source.url)) {
      urls.push(source.url);
    }
    if (block.type === 'document' && source?.type === 'content' && Array.isArray(source.content)) source.content.forEach(visit);
    if (block.type === 'tool_result' && Array.isArray(block.content)) block.content.forEach(visit);
  };
  for (const message of req.messages) {
    if (message.role === 'user' && Array.isArray(message.content)) message.content.forEach(visit);
  }
  return urls;
}

/** An image block → an `inlineData` part: base64 as given, a URL as fetched by the handler. */
export function imagePart(block: AnthropicImageBlock, field: string, media: MediaResolver): GeminiPart {
  const source = block.source;
  switch (source.type) {
    case 'base64':
      return { inlineData: inlineBlob(source.media_type, source.data, `${field}.source`) };
    case 'url':
      return { inlineData: remoteBlob(source.url, `${field}.source.url`, media) };
    case 'file':
      throw fileIdError(`${field}.source.file_id`);
  }
}

/**
 * A document block → parts: its title and context as text (so the model knows what it reads), then a base64
 * file (PDF) or URL as `inlineData`, plain text as text, a `content` source as its own text and images.
 */
export function documentParts(block: AnthropicDocumentBlock, field: string, media: MediaResolver): GeminiPart[] {
  const source = block.source;
  const heading = withHeading(block, '');
  const titled = (part: GeminiPart): GeminiPart[] => (heading === '' ? [part] : [{ text: heading }, part]);
  switch (source.type) {
    case 'base64':
      return titled({ inlineData: inlineBlob(source.media_type, source.data, `${field}.source`) });
    case 'url':
      return titled({ inlineData: remoteBlob(source.url, `${field}.source.url`, media) });
    case 'file':
      throw fileIdError(`${field}.source.file_id`);
    case 'text': {
      const text = withHeading(block, source.data);
      return text === '' ? [] : [{ text }];
    }
    case 'content': {
      if (typeof source.content === 'string') {
        const text = withHeading(block, source.content);
        return text === '' ? [] : [{ text }];
      }
      const parts: GeminiPart[] = heading === '' ? [] : [{ text: heading }];
      known(source.content).forEach((inner, k) => {
        const at = `${field}.source.content[${k}]`;
        if (inner.type === 'text') {
          if (inner.text !== '') parts.push({ text: inner.text });
        } else parts.push(imagePart(inner, at, media));
      });
      return parts;
    }
  }
}

/** A search result block → one text part: its title, source and text. */
export function searchResultText(block: AnthropicSearchResultBlock): string {
  const body = known(block.content)
    .map((b) => b.text)
    .filter((t) => t !== '')
    .join('\n');
  return `${block.title} (${block.source})${body === '' ? '' : `\n${body}`}`;
}

function withHeading(block: AnthropicDocumentBlock, text: string): string {
  const heading = [block.title, block.context].filter((s): s is string => typeof s === 'string' && s !== '').join('\n');
  if (heading === '') return text;
  return text === '' ? heading : `${heading}\n\n${text}`;
}

function inlineBlob(mediaType: string, data: string, field: string): GeminiBlob {
  const mimeType = mediaType.trim().toLowerCase();
  if (!MIME_TYPE.test(mimeType)) throw new TranslationError(`${field}.media_type`, `"${mediaType.slice(0, 60)}" is not a media type`);
  // Line-wrapped base64 is common; Google rejects the whitespace.
  const clean = data.replace(/\s+/g, '');
  if (clean === '' || !BASE64.test(clean)) throw new TranslationError(`${field}.data`, 'must be base64-encoded data');
  return { mimeType, data: clean };
}

function remoteBlob(url: string, field: string, media: MediaResolver): GeminiBlob {
  const blob = REMOTE.test(url) ? media(url) : undefined;
  if (blob === undefined) throw new TranslationError(field, `the media at ${url.slice(0, 200)} could not be fetched; send it as base64`);
  return blob;
}

function fileIdError(field: string): TranslationError {
  return new TranslationError(field, 'file_id refers to a file uploaded to Anthropic\'s Files API, which Rotor does not have; send the content as base64');
}
