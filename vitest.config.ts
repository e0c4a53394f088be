import { defineConfig } from 'vitest/config';

// One project per package, so `pnpm test` at the root runs everything and
// `vitest --project futures` runs one package.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'futures',
          root: './packages/futures',
          include: ['test/**/*.test.ts'],
          typecheck: {
            enabled: true,
            include: ['test/**/*.test-d.ts'],
            tsconfig: './test/tsconfig.json',
          },
          // Machines here are small and shared: generous limits, no retries that hide flakes.
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'multiprocessing',
          root: './packages/multiprocessing',
          include: ['test/**/*.test.ts'],
          typecheck: {
            enabled: true,
            include: ['test/**/*.test-d.ts'],
            tsconfig: './test/tsconfig.json',
          },
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'distributed',
          root: './packages/distributed',
          include: ['test/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
