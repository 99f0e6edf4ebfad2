/**
 * node:http, taken as its CommonJS module. An ESM import of node:http (default or named) builds the module's ESM
 * facade, which reads every export — the lazy WebSocket, CloseEvent and MessageEvent getters among them — and so
 * loads Node's bundled undici and http2, which signet never uses (12 MiB of resident memory in a bare process).
 * Import the module from here; types still come from `import type … from 'node:http'`.
 */
export const nodeHttp = process.getBuiltinModule('node:http');
