#!/usr/bin/env node
// Thin launcher so `npx rotor` works from a checkout; the build output holds the real entry point.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const entry = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');
if (!existsSync(entry)) {
  console.error('rotor: not built yet; run `npm run build` (or `npm start`) first.');
  process.exit(2);
}
await import(entry);
