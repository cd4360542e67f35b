/**
 * Watches PERSISTENT_STORAGE_PATH so new or changed credential files (from the login page, `rotor import`
 * or a hand copy) are served without a restart, and deleted ones leave the pool. fs.watch only wakes a
 * rescan (debounced); a slow periodic rescan covers file systems where watch events get lost (some
 * container volumes). A rescan re-reads only files whose size or mtime changed. It starts from what the
 * loader read and runs once at once, so a file added, changed or deleted during start-up is not missed.
 * The loader's rules hold here too: one refresh token is served from one file only, and a file that is not
 * a regular file is reported, never read.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprint } from '../util/secrets.js';
import { CredentialFileError, readCredentialFileInfo, type CredentialFileRead, type FileState } from './credential-file.js';
import { CREDENTIAL_FILE_PATTERN, type CredentialsOptions } from './load.js';
import { createOAuthCredential, type OAuthCredential } from './oauth-credential.js';

export interface FolderWatchHandlers {
  /** A new credential, or an existing one whose file now holds another refresh token, project or client. */
  upsert(cred: OAuthCredential, isNew: boolean): void;
  remove(id: string): void;
  /** A file is not loaded: unreadable, not a credential, or a duplicate of a served one. */
  error(file: string, reason: string): void;
  /** A file reported through error() is gone, or reads well again with nothing to apply. */
  resolved?(file: string): void;
}

export interface FolderWatch {
  /** Runs one rescan now (tests, and after `rotor import`). */
  rescan(): Promise<void>;
  close(): void;
}

export interface FolderWatchOptions {
  debounceMs?: number | undefined;
  rescanMs?: number | undefined;
  /** LoadResult.files, what the loader read; without it the first scan reads every file. */
  initial?: ReadonlyMap<string, FileState> | undefined;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Which served file holds each refresh token (by fingerprint, rotated-away tokens included). */
class TokenOwners {
  readonly #byFingerprint = new Map<string, string>();
  add(name: string, cred: OAuthCredential): void {
    for (const fp of cred.refreshTokenFingerprints()) if (!this.#byFingerprint.has(fp)) this.#byFingerprint.set(fp, name);
  }
  drop(name: string): void {
    for (const [fp, owner] of this.#byFingerprint) if (owner === name) this.#byFingerprint.delete(fp);
  }
  owner(fp: string): string | undefined {
    return this.#byFingerprint.get(fp);
  }
}

export function watchCredentialFolder(
  options: CredentialsOptions,
  /** The served credential with this id (file name), if any. */
  lookup: (id: string) => OAuthCredential | undefined,
  handlers: FolderWatchHandlers,
  extra: FolderWatchOptions = {},
): FolderWatch {
  const dir = options.storagePath;
  const seen = new Map<string, FileState>([...(extra.initial ?? [])].map(([name, state]) => [name, { ...state }]));
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  /** Serves, replaces or holds back the credential a changed file holds. */
  const apply = (name: string, read: CredentialFileRead, prev: FileState | undefined, owners: TokenOwners) => {
    const { parsed, digest } = read;
    const stamp = { size: read.size, mtimeMs: read.mtimeMs };
    const existing = lookup(name);
    const fp = fingerprint(parsed.refreshToken);
    const owner = owners.owner(fp);
    if (owner !== undefined && owner !== name) {
      // As at start-up: two files with one refresh token would race each other's refreshes; the served one stays.
      seen.set(name, { ...stamp, failed: true, duplicate: fp });
      if (existing) {
        owners.drop(name);
        handlers.remove(name);
      }
      handlers.error(name, `same refresh token as ${owner}; skipped`);
      return;
    }
    seen.set(name, stamp);
    if (!existing) {
      const cred = createOAuthCredential({ id: name, source: { kind: 'file', path: join(dir, name) }, parsed, digest }, options);
      owners.add(name, cred);
      handlers.upsert(cred, true);
      return;
    }
    // Rotor's own write-back (or an older version a scan caught mid-write) holds nothing new, unless it holds a
    // rotated-away refresh token: replace() refuses that and writes the current data back. replace() takes
    // nothing that leaves the credential as it is. Either way the pool keeps its cooldown and disable state.
    const retired = existing.refreshTokenFingerprints().indexOf(fp) > 0;
    if ((retired || !existing.knowsFileContent(digest)) && existing.replace(parsed, digest)) {
      owners.drop(name);
      owners.add(name, existing);
      handlers.upsert(existing, false);
    } else if (prev?.failed) {
      handlers.resolved?.(name);
    }
  };

  const scan = async () => {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => CREDENTIAL_FILE_PATTERN.test(n)).sort();
    } catch (err) {
      return handlers.error(dir, message(err));
    }
    const present = new Set(names);
    // Deletions first, so a duplicate held back for a deleted file is served in this same scan.
    for (const [name, prev] of seen) {
      if (present.has(name)) continue;
      seen.delete(name);
      if (lookup(name)) handlers.remove(name);
      else if (prev.failed) handlers.resolved?.(name);
    }
    let owners: TokenOwners | undefined;
    const tokenOwners = () => {
      if (owners) return owners;
      owners = new TokenOwners();
      for (const name of names) {
        const cred = lookup(name);
        if (cred) owners.add(name, cred);
      }
      return owners;
    };
    for (const name of names) {
      if (closed) return;
      const path = join(dir, name);
      let s;
      try {
        s = await stat(path);
      } catch {
        continue; // vanished between readdir and stat; the next scan sees it gone
      }
      const prev = seen.get(name);
      const unchanged = prev !== undefined && prev.mtimeMs === s.mtimeMs && prev.size === s.size;
      // A held-back duplicate is looked at again once no served file holds its refresh token.
      if (unchanged && (prev.duplicate === undefined || tokenOwners().owner(prev.duplicate) !== undefined)) continue;
      let read;
      try {
        read = await readCredentialFileInfo(path);
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') continue; // as above
        const stamp = err instanceof CredentialFileError && err.stamp ? err.stamp : { size: s.size, mtimeMs: s.mtimeMs };
        seen.set(name, { ...stamp, failed: true });
        handlers.error(name, message(err));
        continue;
      }
      apply(name, read, prev, tokenOwners());
    }
  };

  // Never rejects: it runs from timers, where a rejection would end the process.
  const rescan = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await scan();
        } catch (err) {
          options.logger.warn(`credential folder scan failed: ${message(err)}`);
        }
      } while (again && !closed);
    })().finally(() => (running = undefined));
    return running;
  };

  void rescan(); // what changed between the loader's reads and now
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    // One rescan per burst of events, at most debounceMs after its first event. (Re-arming the timer on every
    // event would starve the rescan while token write-backs keep touching the folder.)
    watcher = watch(dir, () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        void rescan();
      }, extra.debounceMs ?? 150);
    });
    watcher.on('error', () => {});
  } catch {
    /* no inotify: the periodic rescan still works */
  }
  const periodic = setInterval(() => void rescan(), extra.rescanMs ?? 15_000);
  periodic.unref();

  return {
    rescan,
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(periodic);
      watcher?.close();
    },
  };
}
