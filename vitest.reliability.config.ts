import { defineConfig } from 'vitest/config';

/** The reliability and security suite of issue 7 (`npm run test:reliability`); prints its figures at the end. */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The fault cases start the sandbox, git and packer; two cores do not gain from more workers.
    maxWorkers: 2,
    reporters: ['default', './test/reliability/figures-reporter.ts'],
  },
});
