import { fixtureFolder } from '../fixture-folder.js';

export const { listFixtures, readJsonFixture, readChunksFixture } = fixtureFolder('anthropic');
