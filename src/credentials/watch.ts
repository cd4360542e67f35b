/**
 * Watches PERSISTENT_STORAGE_PATH so new or changed credential files (from the login page, `rotor import`
 * or a hand copy) are served without a restart, and deleted ones leave the pool. fs.watch only wakes a
 * rescan (debounced); a slow periodic rescan covers file systems where watch events get lost (some
 * container volumes). A rescan re-reads only files whose size or mtime changed.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprint } from '../util/secrets.js';
import { CREDENTIAL_FILE_PATTERN, readCredentialFile, type CredentialsOptions } from './load.js';
import { createOAuthCredential, type OAuthCredential } from './oauth-credential.js';

export interface FolderWatchHandlers {
  /** A new credential, or an existing one whose refresh token or project changed on disk. */
  upsert(cred: OAuthCredential, isNew: boolean): void;
  remove(id: string): void;
  error(file: string, reason: string): void;
}

export interface FolderWatch {
  /** Runs one rescan now (tests, and after `rotor import`). */
  rescan(): Promise<void>;
  close(): void;
}

interface Seen {
  mtimeMs: number;
  size: number;
  identity: string;
  /** The last read failed (reported through handlers.error). */
  failed?: boolean;
}

export function watchCredentialFolder(
  options: CredentialsOptions,
  /** The served credential with this id (file name), if any. */
  lookup: (id: string) => OAuthCredential | undefined,
  handlers: FolderWatchHandlers,
  timing: { debounceMs?: number; rescanMs?: number } = {},
): FolderWatch {
  const dir = options.storagePath;
  const seen = new Map<string, Seen>();
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const scan = async (seed: boolean) => {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => CREDENTIAL_FILE_PATTERN.test(n));
    } catch (err) {
      return handlers.error(dir, err instanceof Error ? err.message : String(err));
    }
    const present = new Set(names);
    for (const name of names) {
      const path = join(dir, name);
      let s;
      try {
        s = await stat(path);
      } catch {
        continue; // vanished between readdir and stat; the next scan sees it gone
      }
      const prev = seen.get(name);
      if (prev && prev.mtimeMs === s.mtimeMs && prev.size === s.size) continue;
      let parsed;
      try {
        parsed = await readCredentialFile(path);
      } catch (err) {
        if (!seed) handlers.error(name, err instanceof Error ? err.message : String(err));
        seen.set(name, { mtimeMs: s.mtimeMs, size: s.size, identity: prev?.identity ?? '', failed: true });
        continue;
      }
      // A token write-back changes the file but not who it is; only a new refresh token or project matters,
      // or a file that failed to load before and reads well again (its load error must go).
      const identity = `${fingerprint(parsed.refreshToken)}|${parsed.projectId ?? ''}`;
      seen.set(name, { mtimeMs: s.mtimeMs, size: s.size, identity });
      if (seed || (prev?.identity === identity && !prev.failed)) continue;
      const existing = lookup(name);
      if (existing) {
        existing.replace(parsed);
        handlers.upsert(existing, false);
      } else {
        handlers.upsert(createOAuthCredential({ id: name, source: { kind: 'file', path }, parsed }, options), true);
      }
    }
    for (const name of [...seen.keys()]) {
      if (present.has(name)) continue;
      seen.delete(name);
      if (lookup(name)) handlers.remove(name);
    }
  };

  const rescan = async (seed = false): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await scan(seed);
      } while (again && !closed);
    })().finally(() => (running = undefined));
    return running;
  };

  const seeded = rescan(true);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    // One rescan per burst of events, at most debounceMs after its first event. (Re-arming the timer on every
    // event would starve the rescan while token write-backs keep touching the folder.)
    watcher = watch(dir, () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        void seeded.then(() => rescan());
      }, timing.debounceMs ?? 150);
    });
    watcher.on('error', () => {});
  } catch {
    /* no inotify: the periodic rescan still works */
  }
  const periodic = setInterval(() => void seeded.then(() => rescan()), timing.rescanMs ?? 15_000);
  periodic.unref();

  return {
    rescan: async () => {
      await seeded;
      await rescan();
    },
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(periodic);
      watcher?.close();
    },
  };
}
