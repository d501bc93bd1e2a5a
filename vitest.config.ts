import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 300_000,
    // both cores: vitest's default leaves one idle on a 2-core machine (CPUs - 1), and the
    // suite is CPU-bound (on this VM: 534 s of vitest with one worker)
    maxWorkers: 2,
  },
})
