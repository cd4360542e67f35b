/**
 * The Code Assist project of a freshly logged-in account (docs/google-protocols.md#project-discovery), with
 * every way it can fail turned into a message that tells the user what to do.
 */
import { discoverProject, ProjectDiscoveryError, type DiscoveredProject } from '../credentials/index.js';
import { LoginError } from './errors.js';

/**
 * Reads the optional project field. Google project ids are letters, digits, hyphens (and, for old
 * domain-scoped projects, `example.com:name`); a purely numeric value is the project *number*, which
 * Code Assist refuses (gemini-cli's InvalidNumericProjectIdError).
 */
export function parseProjectField(value: unknown): string | undefined {
  const v = typeof value === 'string' ? value.trim() : '';
  if (v === '') return undefined;
  const bad = (why: string) =>
    new LoginError('BAD_INPUT', {
      title: 'Check the project ID',
      message: why,
      hint: 'Enter the Google Cloud project ID as shown in the Cloud console (e.g. my-project-123), or leave the field empty.',
    });
  if (/^\d+$/.test(v)) throw bad(`"${v}" looks like a project number; Code Assist needs the project ID.`);
  if (v.length > 100 || !/^[a-z0-9][a-z0-9.:-]*[a-z0-9]$/i.test(v)) throw bad(`"${v.slice(0, 100)}" is not a valid Google Cloud project ID.`);
  return v;
}

export interface FindProjectInput {
  accessToken: string;
  email: string;
  requestedProject: string | undefined;
  codeAssistEndpoint: string;
  pollIntervalMs?: number | undefined;
  timeoutMs?: number | undefined;
  /** Each Code Assist call's own bound (default 30 s). */
  requestTimeoutMs?: number | undefined;
}

export async function findProject(input: FindProjectInput): Promise<DiscoveredProject> {
  try {
    return await discoverProject({
      accessToken: input.accessToken,
      requestedProject: input.requestedProject,
      codeAssistEndpoint: input.codeAssistEndpoint,
      pollIntervalMs: input.pollIntervalMs,
      timeoutMs: input.timeoutMs,
      requestTimeoutMs: input.requestTimeoutMs,
    });
  } catch (err) {
    if (err instanceof ProjectDiscoveryError) throw explain(err, input);
    throw err;
  }
}

function explain(err: ProjectDiscoveryError, input: FindProjectInput): LoginError {
  const who = input.email;
  switch (err.code) {
    case 'VALIDATION_REQUIRED':
      return new LoginError('VALIDATION_REQUIRED', {
        title: 'Google needs to verify this account',
        message: `Google requires ${who} to be verified before it can use Gemini Code Assist. No account was added.`,
        hint: err.validationUrl
          ? `Open the verification page in a browser signed in as ${who}, complete it, then log in here again.`
          : `Sign in to ${who} in a browser, complete the verification Google asks for, then log in here again.`,
        ...(err.validationUrl ? { link: { url: err.validationUrl, text: 'Verify your account with Google' } } : {}),
        status: 403,
      });
    case 'INELIGIBLE':
      return new LoginError('INELIGIBLE', {
        title: 'This account cannot use Gemini Code Assist',
        message: `${err.message.replace(/\. Fix this in the Google account or use another account$/, '')}. No account was added.`,
        hint:
          'Use another Google account, or an account with a Gemini Code Assist Standard/Enterprise licence together with its Google Cloud project ID. ' +
          'For AI Studio API keys, use the Gemini API route instead.',
        status: 403,
      });
    case 'UNSUPPORTED_CLIENT':
      return new LoginError('INELIGIBLE', {
        title: 'Google no longer serves this account through Code Assist',
        message: `${who}: ${err.message}. No account was added.`.replace(/\.\. No/, '. No'),
        hint:
          'Give Rotor a Gemini API key from Google AI Studio (GEMINI_API_KEYS or an api_key*.json file) instead. ' +
          'Accounts with a Gemini Code Assist Standard or Enterprise licence still work here.',
        status: 403,
      });
    case 'PROJECT_REQUIRED':
      return new LoginError('PROJECT_REQUIRED', {
        title: 'This account needs a Google Cloud project',
        message: input.requestedProject
          ? `Code Assist did not accept project "${input.requestedProject}" for ${who}. No account was added.`
          : `${who} uses a Code Assist tier that runs on your own Google Cloud project, and none was given. No account was added.`,
        hint:
          'Enter your Google Cloud project ID (the ID, not the number) in the project field and log in again. ' +
          'The project needs the Gemini for Google Cloud API (cloudaicompanion.googleapis.com) enabled.',
        status: 400,
      });
    default:
      return new LoginError('ONBOARDING_FAILED', {
        title: 'Code Assist setup failed',
        message: `${err.message}. No account was added.`.replace(/\.\. No/, '. No'),
        hint: 'This is often temporary: log in again in a minute. If it keeps failing, enter a Google Cloud project ID and try again.',
        status: 502,
      });
  }
}
