import { fixtureFolder } from '../fixture-folder.js';

export const { listFixtures, readJsonFixture, readChunksFixture } = fixtureFolder('openai-chat');

/** Response-context extras a fixture may carry (`"ctx"`), with `toolNames` as a plain object. */
export interface FixtureContext {
  toolNames?: Record<string, string>;
  signaturesInToolCallIds?: boolean;
}

/** A fixture's `ctx` as the translators take it (`toolNames` as a Map). */
export function fixtureContext(extra: FixtureContext | undefined): {
  toolNames?: Map<string, string>;
  signaturesInToolCallIds?: boolean;
} {
  const out: { toolNames?: Map<string, string>; signaturesInToolCallIds?: boolean } = {};
  if (extra?.toolNames) out.toolNames = new Map(Object.entries(extra.toolNames));
  if (extra?.signaturesInToolCallIds !== undefined) out.signaturesInToolCallIds = extra.signaturesInToolCallIds;
  return out;
}
