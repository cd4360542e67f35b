/**
 * `rotor import [--project ID] FILE...`: copies existing credentials (gemini-cli `oauth_creds.json`,
 * authorized_user files, or JSON lists of either) into PERSISTENT_STORAGE_PATH in the canonical format.
 * Prints one line per credential. Exit code: 0 all imported, 1 some failed, 2 usage error.
 */
import type { Config } from '../config/config.js';
import { isEnvListSet } from '../credentials/index.js';
import { createCredentialStore, importCredentialFile, LoginError, type ImportOutcome } from '../login/index.js';
import { parseProjectField } from '../login/project.js';
import type { Logger } from '../util/log.js';

export const IMPORT_USAGE = `usage: rotor import [--project PROJECT_ID] FILE...
  FILE: a gemini-cli oauth_creds.json, an authorized_user JSON file, or a JSON list of either.
  --project: the Google Cloud project to use for these accounts (otherwise the file's, or discovered).`;

export interface ImportRun {
  files: string[];
  project: string | undefined;
  /** Where lines go (stdout by default). */
  print?: (line: string) => void;
  onboardPollIntervalMs?: number;
}

export async function runImport(config: Config, logger: Logger, run: ImportRun): Promise<number> {
  const print = run.print ?? ((line: string) => void process.stdout.write(line + '\n'));
  if (run.files.length === 0) {
    print(IMPORT_USAGE);
    return 2;
  }
  let project: string | undefined;
  try {
    project = parseProjectField(run.project);
  } catch (err) {
    if (!(err instanceof LoginError)) throw err;
    print(`rotor import: --project: ${err.message}`);
    return 2;
  }
  const store = createCredentialStore(config.storagePath);
  const outcomes: ImportOutcome[] = [];
  for (const file of run.files) {
    for (const o of await importCredentialFile(file, {
      store,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      tokenUrlOverride: config.oauthTokenUrlOverride,
      userinfoUrl: config.userinfoUrl,
      codeAssistEndpoint: config.codeAssistEndpoint,
      project,
      onboardPollIntervalMs: run.onboardPollIntervalMs,
      // Failures are printed as lines below; the credential's own warnings would repeat them.
      ...(config.debug ? { logger } : {}),
    })) {
      outcomes.push(o);
      print(
        o.ok
          ? `${o.label}: imported as ${o.file} (${o.email}, project ${o.projectId})${o.replaced.length ? `, replacing ${o.replaced.join(', ')}` : ''}`
          : `${o.label}: not imported: ${o.reason}`,
      );
    }
  }
  const failed = outcomes.filter((o) => !o.ok).length;
  print(`${outcomes.length - failed} of ${outcomes.length} credential(s) imported into ${config.storagePath}`);
  if (isEnvListSet(config.credentialsJsonList)) {
    print('note: CREDENTIALS_JSON_LIST is set, so rotor serves that list and not these files; unset it to use them');
  }
  return failed === 0 ? 0 : 1;
}
