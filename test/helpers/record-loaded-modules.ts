// Preloaded with `--import` (after tsx) by tests that check what a command loads: writes every file: URL the process
// loaded, then every Node.js built-in it loaded as `node:<name>` (internal ones too), one per line, to
// $SIGNET_LOADED_MODULES_FILE when it exits.
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';

const loaded = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (resolved.url.startsWith('file:')) loaded.add(resolved.url);
    return resolved;
  },
});
process.on('exit', () => {
  const file = process.env.SIGNET_LOADED_MODULES_FILE;
  // Undocumented but long-standing: the built-ins and bindings loaded so far, as `NativeModule x` / `Internal Binding y`.
  const { moduleLoadList } = process as unknown as { moduleLoadList: readonly string[] };
  const builtins = moduleLoadList.flatMap((entry) =>
    entry.startsWith('NativeModule ') ? [`node:${entry.slice('NativeModule '.length)}`] : [],
  );
  if (file) writeFileSync(file, [...loaded, ...builtins].join('\n'));
});
