/**
 * Reads one credential file for the loader, the folder watcher and the write-back check. Only regular files
 * are read: a FIFO or device named oauth_creds*.json would block a plain read for ever (and with it process
 * exit). Each read also gives the size and mtime of the very file read and a digest of its content, so the
 * watcher can tell a file it has already seen, or one holding what Rotor itself wrote.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { hash } from 'node:crypto';
import { parseCredentialJson, type ParsedCredential } from './format.js';

export interface FileStamp {
  size: number;
  mtimeMs: number;
}

/** What the folder watcher remembers of one file; the loader hands over its own, so nothing is read twice. */
export interface FileState extends FileStamp {
  /** Its last read failed or found a duplicate, and was reported as a load error. */
  failed?: boolean;
  /** Held back as a duplicate: the fingerprint of its refresh token. */
  duplicate?: string;
}

export interface CredentialFileRead extends FileStamp {
  parsed: ParsedCredential;
  /** sha256 of the text read. */
  digest: string;
}

/** A file that could not be used; `stamp` is set when the file itself was read. */
export class CredentialFileError extends Error {
  constructor(
    message: string,
    readonly stamp?: FileStamp,
  ) {
    super(message);
  }
}

export const contentDigest = (text: string): string => hash('sha256', text, 'hex');

export const MAX_CREDENTIAL_FILE_BYTES = 1024 * 1024;

// O_NONBLOCK: opening a FIFO would otherwise wait for a writer; it changes nothing for regular files.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** The text of a regular file. Errors keep their code (ENOENT); a FIFO, socket or device is refused. */
export async function readRegularFile(path: string): Promise<{ text: string } & FileStamp> {
  let fh;
  try {
    fh = await open(path, READ_FLAGS);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENXIO') throw new CredentialFileError('not a regular file'); // a socket
    throw err;
  }
  try {
    const s = await fh.stat();
    if (!s.isFile()) throw new CredentialFileError('not a regular file');
    // A credential is a few hundred bytes; a huge file named like one is a mistake, not something to load.
    if (s.size > MAX_CREDENTIAL_FILE_BYTES) {
      throw new CredentialFileError(`${s.size} bytes: larger than a credential file can be (${MAX_CREDENTIAL_FILE_BYTES})`, { size: s.size, mtimeMs: s.mtimeMs });
    }
    return { text: await fh.readFile('utf8'), size: s.size, mtimeMs: s.mtimeMs };
  } finally {
    await fh.close();
  }
}

/**
 * JSON.parse messages can quote the offending text, which may be a token; keep only the position.
 */
export function describeJsonError(err: unknown): string {
  const msg = err instanceof Error ? err.message : '';
  const pos = /position (\d+)/.exec(msg);
  return pos ? `invalid JSON (at position ${pos[1]})` : 'invalid JSON';
}

/** Reads and parses one credential file; throws an Error whose message is the reason. */
export async function readCredentialFileInfo(path: string): Promise<CredentialFileRead> {
  const { text, size, mtimeMs } = await readRegularFile(path);
  const stamp = { size, mtimeMs };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CredentialFileError(describeJsonError(err), stamp);
  }
  try {
    return { parsed: parseCredentialJson(json), digest: contentDigest(text), ...stamp };
  } catch (err) {
    throw new CredentialFileError(err instanceof Error ? err.message : String(err), stamp);
  }
}

/** The refresh token a credential file holds now, or why there is none. */
export async function readRefreshToken(path: string): Promise<string | 'missing' | 'unreadable'> {
  try {
    return (await readCredentialFileInfo(path)).parsed.refreshToken;
  } catch (err) {
    return (err as { code?: string }).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
}
