import { defineConfig } from 'vitest/config';

// Tests use real ffmpeg, sockets and SQLite files: generous timeouts, files in parallel
// but capped so that a 2-core CI box is not oversubscribed.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
