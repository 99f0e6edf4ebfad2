// A deterministic tar writer for image layers: ustar headers, PAX extended headers only where ustar cannot hold a
// path or link target, entries sorted by path, one fixed mtime, numeric owners, no atime/ctime, no device numbers.
// The same entries always give the same bytes, so a layer's diff_id depends on its content alone.
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export type TarEntry =
  | { type: 'dir'; path: string; mode: number; uid: number; gid: number }
  | { type: 'file'; path: string; mode: number; uid: number; gid: number; source: FileSource }
  | { type: 'symlink'; path: string; target: string; uid: number; gid: number }
  | { type: 'hardlink'; path: string; target: string; uid: number; gid: number };

/** File content: bytes in memory, or a file on disk read when the layer is written. */
export type FileSource = { bytes: Buffer } | { file: string };

const BLOCK = 512;

/** Layer paths are relative, without a leading `./` or `/`, and without a trailing slash (directories get one). */
export function normalizePath(path: string): string {
  const trimmed = path.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
  if (trimmed === '' || trimmed.split('/').some((part) => part === '' || part === '.' || part === '..'))
    throw new Error(`invalid layer path '${path}'`);
  return trimmed;
}

/** The tree a layer is written from: entries by path, parent directories added on demand. */
export class LayerTree {
  readonly #entries = new Map<string, TarEntry>();

  constructor(
    /** Mode, owner and group of directories this tree adds for parents nobody declared. */
    private readonly parentDefaults: { mode: number; uid: number; gid: number } = {
      mode: 0o755,
      uid: 0,
      gid: 0,
    },
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Adds (or replaces) an entry; its parent directories are added when missing. */
  add(entry: TarEntry): void {
    const path = normalizePath(entry.path);
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const existing = this.#entries.get(parent);
      if (existing === undefined)
        this.#entries.set(parent, { type: 'dir', path: parent, ...this.parentDefaults });
      else if (existing.type !== 'dir')
        throw new Error(`layer path '${parent}' is not a directory (needed by ${path})`);
    }
    const existing = this.#entries.get(path);
    if (existing !== undefined && (existing.type === 'dir') !== (entry.type === 'dir'))
      throw new Error(`layer path '${path}' added as both a directory and a ${entry.type}`);
    this.#entries.set(path, { ...entry, path });
  }

  get(path: string): TarEntry | undefined {
    return this.#entries.get(normalizePath(path));
  }

  /** Entries in byte order of their paths (a parent always before its children). */
  sorted(): TarEntry[] {
    const keyed = [...this.#entries.values()].map((entry) => ({
      entry,
      key: Buffer.from(entry.path, 'utf8'),
    }));
    keyed.sort((a, b) => Buffer.compare(a.key, b.key));
    return keyed.map(({ entry }) => entry);
  }

  /** Paths under `prefix` (or all), for reports and tests. */
  paths(prefix = ''): string[] {
    return this.sorted()
      .map((entry) => entry.path)
      .filter((path) => prefix === '' || path === prefix || path.startsWith(`${prefix}/`));
  }
}

export interface AddDirectoryOptions {
  /** Where the directory's content goes in the layer, e.g. `app/node_modules`; '' for the layer's root. */
  at: string;
  /**
   * `preserve`: keep permission bits as found (Debian packages, extracted by root with their modes).
   * `normalize`: directories 0755, files 0755 when any execute bit is set and 0644 otherwise (npm trees, dist/).
   */
  modes: 'preserve' | 'normalize';
  uid?: number;
  gid?: number;
  /** Also add an entry for the directory itself (default true). */
  includeRoot?: boolean;
}

/**
 * Adds everything under `dir` to `tree`. Regular files that share an inode become one file and hard links to it
 * (the first path in byte order keeps the content), so dpkg-deb's hard links survive and are not stored twice.
 */
export async function addDirectory(
  tree: LayerTree,
  dir: string,
  options: AddDirectoryOptions,
): Promise<void> {
  const uid = options.uid ?? 0;
  const gid = options.gid ?? 0;
  const inodes = new Map<string, string[]>();
  const modeOf = (mode: number, isDir: boolean): number => {
    if (options.modes === 'preserve') return mode & 0o7777;
    if (isDir) return 0o755;
    return mode & 0o111 ? 0o755 : 0o644;
  };
  const files: { path: string; file: string; mode: number; inode: string; links: number }[] = [];

  const at = options.at === '' ? '' : normalizePath(options.at);
  const walk = async (abs: string, rel: string): Promise<void> => {
    const info = await lstat(abs);
    if (info.isDirectory()) {
      // The layer's root ('') is no entry; neither is `at` itself with includeRoot false.
      if (rel !== '' && (rel !== at || options.includeRoot !== false))
        tree.add({ type: 'dir', path: rel, mode: modeOf(info.mode, true), uid, gid });
      const names = await readdir(abs);
      names.sort();
      for (const name of names) await walk(join(abs, name), rel === '' ? name : `${rel}/${name}`);
    } else if (info.isSymbolicLink()) {
      tree.add({ type: 'symlink', path: rel, target: await readlink(abs), uid, gid });
    } else if (info.isFile()) {
      files.push({
        path: rel,
        file: abs,
        mode: modeOf(info.mode, false),
        inode: `${info.dev}:${info.ino}`,
        links: info.nlink,
      });
    } else {
      throw new Error(`${abs}: only directories, regular files and symbolic links go into a layer`);
    }
  };
  await walk(dir, at);

  for (const file of files) {
    if (file.links < 2) continue;
    const group = inodes.get(file.inode) ?? [];
    group.push(file.path);
    inodes.set(file.inode, group);
  }
  const linkTarget = new Map<string, string>();
  for (const group of inodes.values()) {
    if (group.length < 2) continue;
    group.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const path of group.slice(1)) linkTarget.set(path, group[0]!);
  }
  for (const file of files) {
    const target = linkTarget.get(file.path);
    if (target === undefined)
      tree.add({ type: 'file', path: file.path, mode: file.mode, uid, gid, source: { file: file.file } });
    else tree.add({ type: 'hardlink', path: file.path, target, uid, gid });
  }
}

function octal(value: number, width: number): string {
  const digits = value.toString(8);
  if (digits.length > width - 1) throw new Error(`tar header value ${value} does not fit ${width} bytes`);
  return `${digits.padStart(width - 1, '0')}\0`;
}

function isPortable(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/** Splits a path into ustar's prefix (≤155 bytes) and name (≤100 bytes), or undefined when it cannot be. */
function splitUstar(path: string): { prefix: string; name: string } | undefined {
  if (!isPortable(path)) return undefined;
  if (path.length <= 100) return { prefix: '', name: path };
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== '/') continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (prefix.length <= 155 && name.length <= 100 && name.length > 0) return { prefix, name };
    if (path.length - i - 1 > 100) break;
  }
  return undefined;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body);
  // The length counts its own digits: iterate to the fixed point (at most one extra step).
  let length = bodyLength;
  for (;;) {
    const total = bodyLength + String(length).length;
    if (total === length) break;
    length = total;
  }
  return Buffer.from(`${length}${body}`, 'utf8');
}

interface HeaderFields {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
}

function header(fields: HeaderFields): Buffer {
  const block = Buffer.alloc(BLOCK, 0);
  block.write(fields.name, 0, 100, 'utf8');
  block.write(octal(fields.mode, 8), 100, 8, 'ascii');
  block.write(octal(fields.uid, 8), 108, 8, 'ascii');
  block.write(octal(fields.gid, 8), 116, 8, 'ascii');
  block.write(octal(fields.size, 12), 124, 12, 'ascii');
  block.write(octal(fields.mtime, 12), 136, 12, 'ascii');
  block.write('        ', 148, 8, 'ascii');
  block.write(fields.typeflag, 156, 1, 'ascii');
  block.write(fields.linkname, 157, 100, 'utf8');
  block.write('ustar\0', 257, 6, 'ascii');
  block.write('00', 263, 2, 'ascii');
  // Owner names stay empty: the numeric ids are what a container runtime uses.
  block.write(octal(0, 8), 329, 8, 'ascii');
  block.write(octal(0, 8), 337, 8, 'ascii');
  block.write(fields.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return block;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest, 0);
}

const typeflags = { file: '0', hardlink: '1', symlink: '2', dir: '5' } as const;

/** Writes the entries (sorted here) as one tar archive, every entry with mtime `mtime` (seconds since the epoch). */
export async function writeTar(tree: LayerTree, mtime: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (const entry of tree.sorted()) {
    const name = entry.type === 'dir' ? `${entry.path}/` : entry.path;
    const linkname = entry.type === 'symlink' || entry.type === 'hardlink' ? entry.target : '';
    const content = entry.type === 'file' ? await contentOf(entry.source) : Buffer.alloc(0);
    const mode = entry.type === 'dir' || entry.type === 'file' ? entry.mode : 0o777;

    const pax: Buffer[] = [];
    let split = splitUstar(name);
    if (split === undefined) {
      pax.push(paxRecord('path', name));
      split = {
        prefix: '',
        name: Buffer.from(name, 'utf8')
          .subarray(0, 100)
          .toString('latin1')
          .replace(/[^\x20-\x7e]/g, '_'),
      };
    }
    let ustarLink = linkname;
    if (linkname.length > 100 || !isPortable(linkname)) {
      pax.push(paxRecord('linkpath', linkname));
      ustarLink = linkname.slice(0, 100).replace(/[^\x20-\x7e]/g, '_');
    }
    if (pax.length > 0) {
      const body = Buffer.concat(pax);
      const paxName = `PaxHeaders/${split.name}`.slice(0, 100);
      chunks.push(
        header({
          name: paxName,
          prefix: '',
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: body.length,
          mtime,
          typeflag: 'x',
          linkname: '',
        }),
        body,
        padding(body.length),
      );
    }
    chunks.push(
      header({
        name: split.name,
        prefix: split.prefix,
        mode,
        uid: entry.uid,
        gid: entry.gid,
        size: content.length,
        mtime,
        typeflag: typeflags[entry.type],
        linkname: ustarLink,
      }),
    );
    if (content.length > 0) chunks.push(content, padding(content.length));
  }
  chunks.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(chunks);
}

async function contentOf(source: FileSource): Promise<Buffer> {
  return 'bytes' in source ? source.bytes : readFile(source.file);
}
