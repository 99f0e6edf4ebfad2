/** signet's version: `--version`, the registry User-Agent, and the shared verdict cache's configuration fingerprint. */
export const VERSION = '0.1.0';
