// How node runs signet in production: the image's entrypoint is `node <PRODUCTION_NODE_FLAGS> /app/dist/cli.js`,
// and the benchmark starts signet the same way (`npm run bench -- --signet-node-flags "…"` measures others), so
// that what it measures is what is deployed.
//
// None by default: throughput first. The documented alternative is --optimize-for-size (the chart's
// `nodeFlags: ["--optimize-for-size"]`): V8 keeps its heaps small (collects sooner, grows them less) and compiles
// less eagerly. Measured side by side with Ratify by `npm run bench` on 2 cores (2026-12-02; the same scenarios
// without → with it): peak RSS of a cold 500-image batch 175 → 112 MiB (Ratify 121), of 2,000 images 259 → 113 MiB
// (Ratify 273), of 10,000 images verified and cached 362 → 135 MiB (Ratify 354 holding 3,300), at ready 81 → 76 MiB;
// but CPU-bound work slows: 10,000 images in 22 s instead of 13 s, a 2,000-image batch answers 511 of its images
// in the deadline instead of ~1,250, cached answers ~35 % fewer per second. Waiting on registries costs the same.
export const PRODUCTION_NODE_FLAGS: readonly string[] = [];

/** Where the image puts node and the bundle. */
export const IMAGE_NODE = '/usr/local/bin/node';
export const IMAGE_CLI = '/app/dist/cli.js';
