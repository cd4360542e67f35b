import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GeminiResponse } from '../../src/types/gemini.js';

/** Readers for one dialect's folder under test/fixtures/ (each dialect's fixtures.ts exports them). */
export function fixtureFolder(name: string) {
  const dir = fileURLToPath(new URL(`../fixtures/${name}/`, import.meta.url));
  return {
    /** Fixture names (without extension) that start with `prefix` and end with `suffix`, e.g. `request-`, `.json`. */
    listFixtures(prefix: string, suffix: string): string[] {
      return readdirSync(dir)
        .filter((f) => f.startsWith(prefix) && f.endsWith(suffix))
        .map((f) => f.slice(0, -suffix.length))
        .sort();
    },
    readJsonFixture<T>(file: string): T {
      return JSON.parse(readFileSync(dir + file, 'utf8')) as T;
    },
    /** A `*.chunks.txt` stream fixture: one Gemini GenerateContentResponse JSON per line. */
    readChunksFixture(fixture: string): GeminiResponse[] {
      return readFileSync(`${dir}${fixture}.chunks.txt`, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as GeminiResponse);
    },
  };
}
