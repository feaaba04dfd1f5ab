import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The reliability suite has its own run (`npm run test:reliability`) and figures; moto's, `npm run test:moto`.
    exclude: ['test/reliability/**', 'test/moto/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The end-to-end tests start real servers, git and packer; two cores do not gain from more workers.
    maxWorkers: 2,
  },
});
