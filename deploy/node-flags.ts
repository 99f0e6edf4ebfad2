// How node runs signet in production: the image's entrypoint is `node <PRODUCTION_NODE_FLAGS> /app/dist/cli.js`,
// and the benchmark starts signet the same way, so that what it measures is what is deployed.
//
// --optimize-for-size: V8 keeps its heaps small (collects sooner, grows them less) and compiles less eagerly.
// Measured by `npm run bench` on 2 cores (2026-12-02): peak RSS of a cold 500-image batch 175 → 108 MiB (Ratify
// 122), of 10,000 images verified and cached 362 → 136 MiB, at ready 81 → 76 MiB. It costs CPU only where signet is
// CPU-bound — 10,000 images in 21 s instead of 13 s, cached answers ~12 % fewer per second — and nothing where it
// waits on registries. The chart's `nodeFlags: []` runs without it, for throughput over memory.
export const PRODUCTION_NODE_FLAGS: readonly string[] = ['--optimize-for-size'];

/** Where the image puts node and the bundle. */
export const IMAGE_NODE = '/usr/local/bin/node';
export const IMAGE_CLI = '/app/dist/cli.js';
