// Preloaded with `--import` (after tsx) by tests that check what a command loads: writes every file: URL the process
// loaded (one per line) to $SIGNET_LOADED_MODULES_FILE when it exits.
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
  if (file) writeFileSync(file, [...loaded].join('\n'));
});
