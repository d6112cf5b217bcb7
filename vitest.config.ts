import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['core/test/**/*.test.ts', 'native/test/**/*.test.ts', 'plugins/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // 2-core CI machine: two workers keep both cores busy without thrashing native thread pools
    maxWorkers: 2,
  },
});
