import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // e2e suites each start their own servers on free ports; two workers fit a 2-core box.
    maxWorkers: 2,
  },
});
