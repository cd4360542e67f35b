import type { GeminiBlob, GeminiPart } from '../../types/gemini.js';
import { TranslationError } from '../translation-error.js';
import { parseBase64DataUri } from './parse-data-uri.js';
import type { OpenAIChatMessage, OpenAIContentPart } from './request-schema.js';

/**
 * Bytes for a remote URL the caller fetched before translating (with its own size cap and SSRF guard);
 * `undefined` when it has none for that URL. Keeps the translator free of I/O.
 */
export type MediaResolver = (url: string) => GeminiBlob | undefined;

const REMOTE = /^https?:\/\//i;

/**
 * The http(s) URLs of a request's `image_url` parts, in order, each as often as it is used: what the HTTP
 * layer must fetch (once per URL) and hand back through `resolveMedia` before calling
 * convertOpenAIChatRequestToGemini. Repeats are listed because each copy travels inline and counts
 * against the per-request media limits.
 */
export function collectRemoteMediaUrls(req: { messages: readonly OpenAIChatMessage[] }): string[] {
  const urls: string[] = [];
  for (const message of req.messages) {
    if (message.role !== 'user' || !Array.isArray(message.content)) continue;
    for (const part of message.content) {
      if (part.type === 'image_url' && REMOTE.test(part.image_url.url)) urls.push(part.image_url.url);
    }
  }
  return urls;
}

/** OpenAI `input_audio.format` → the mime type Gemini expects (CLIProxyAPI `openAIInputAudioMimeType`). */
const AUDIO_MIME: Record<string, string> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  mpeg: 'audio/mpeg',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  opus: 'audio/ogg',
  aac: 'audio/aac',
  m4a: 'audio/mp4',
  aiff: 'audio/aiff',
  webm: 'audio/webm',
  pcm16: 'audio/pcm',
  pcm: 'audio/pcm',
};

/** File extension → mime type, for `file_data` sent as bare base64 with only a filename to go by. */
const FILE_MIME: Record<string, string> = {
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  html: 'text/html',
  json: 'application/json',
  xml: 'text/xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  flac: 'audio/flac',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
};

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** One non-text user content part → the Gemini part carrying its bytes. */
export function convertMediaPart(
  part: Exclude<OpenAIContentPart, { type: 'text' | 'refusal' }>,
  field: string,
  resolveMedia?: MediaResolver,
): GeminiPart {
  switch (part.type) {
    case 'image_url':
      return { inlineData: imageBlob(part.image_url.url, `${field}.image_url.url`, resolveMedia) };
    case 'input_audio': {
      const format = part.input_audio.format.toLowerCase();
      const mimeType = AUDIO_MIME[format];
      if (mimeType === undefined) {
        const known = Object.keys(AUDIO_MIME).join(', ');
        throw new TranslationError(`${field}.input_audio.format`, `unsupported audio format "${part.input_audio.format}"; use one of ${known}`);
      }
      const data = part.input_audio.data;
      if (/^data:/i.test(data)) return { inlineData: parseBase64DataUri(data, `${field}.input_audio.data`) };
      return { inlineData: { mimeType, data: base64(data, `${field}.input_audio.data`) } };
    }
    case 'file':
      return { inlineData: fileBlob(part.file, `${field}.file`) };
  }
}

function imageBlob(url: string, field: string, resolveMedia: MediaResolver | undefined): GeminiBlob {
  if (!REMOTE.test(url)) return parseBase64DataUri(url, field);
  const blob = resolveMedia?.(url);
  if (blob === undefined) {
    throw new TranslationError(field, `the image at ${url} could not be fetched; send it inline as a data: URI`);
  }
  return blob;
}

function fileBlob(file: { file_data?: string | null; file_id?: string | null; filename?: string | null }, field: string): GeminiBlob {
  if (file.file_data != null && file.file_data !== '') {
    if (/^data:/i.test(file.file_data)) return parseBase64DataUri(file.file_data, `${field}.file_data`);
    // Some clients send bare base64 and name the file; the extension gives the mime type.
    const extension = file.filename?.split('.').pop()?.toLowerCase() ?? '';
    const mimeType = FILE_MIME[extension];
    if (mimeType === undefined) {
      throw new TranslationError(
        `${field}.file_data`,
        'must be a data URI (data:<mime type>;base64,<data>), or base64 with a filename whose extension gives the type',
      );
    }
    return { mimeType, data: base64(file.file_data, `${field}.file_data`) };
  }
  if (file.file_id != null) {
    throw new TranslationError(
      `${field}.file_id`,
      'file_id refers to an uploaded file, which Rotor does not support; send the file inline as file_data (a data: URI)',
    );
  }
  throw new TranslationError(field, 'a file part needs file_data');
}

function base64(data: string, field: string): string {
  // Line-wrapped base64 is common; Google rejects the whitespace.
  const clean = data.replace(/\s+/g, '');
  if (clean === '' || !BASE64.test(clean)) throw new TranslationError(field, 'must be base64-encoded data');
  return clean;
}
