import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GeminiResponse } from '../../../src/types/gemini.js';

const dir = fileURLToPath(new URL('../../fixtures/anthropic/', import.meta.url));

/** Fixture names (without extension) that start with `prefix` and end with `suffix`, e.g. `request-`, `.json`. */
export function listFixtures(prefix: string, suffix: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith(suffix))
    .map((f) => f.slice(0, -suffix.length))
    .sort();
}

export function readJsonFixture<T>(file: string): T {
  return JSON.parse(readFileSync(dir + file, 'utf8')) as T;
}

/** A `*.chunks.txt` stream fixture: one Gemini GenerateContentResponse JSON per line. */
export function readChunksFixture(name: string): GeminiResponse[] {
  return readFileSync(`${dir}${name}.chunks.txt`, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as GeminiResponse);
}
