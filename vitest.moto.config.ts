import { defineConfig } from 'vitest/config';

/**
 * The conformance suite against moto (issue 15, `npm run test:moto`): Hephestus's AWS commands, real Packer
 * and the flows against an EC2/SSM nobody here wrote. Without moto installed, it says so once and skips.
 */
export default defineConfig({
  test: {
    include: ['test/moto/**/*.test.ts'],
    globalSetup: ['test/moto/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // moto runs one server per file; two cores do not gain from more.
    maxWorkers: 1,
  },
});
