/**
 * The prebuilt libFuzzer addon of @jazzer.js/fuzzer 4 (fuzzer-linux-x64.node) is linked against glibc 2.38 only
 * for two symbols, `__isoc23_strtol` and `__isoc23_strtoul` (C23's strtol, which also reads a `0b` prefix).
 * On an older glibc (Debian 12 has 2.36) the addon does not load at all. When it does not, this rewrites the
 * addon's ELF dynamic symbol table in place so that it binds the classic `strtol` / `strtoul`
 * (GLIBC_2.2.5) instead: each symbol's name is pointed at the suffix of its own name and its version index at
 * GLIBC_2.2.5, and the GLIBC_2.38 version requirement is made a copy of the GLIBC_2.2.5 one. Nothing else changes.
 * On a glibc ≥ 2.38 the addon loads as shipped and is left alone.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const SHT_DYNSYM = 11;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;

interface Section {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
}

function cString(buffer: Buffer, offset: number): string {
  const end = buffer.indexOf(0, offset);
  return buffer.toString('latin1', offset, end);
}

function sections(elf: Buffer): Section[] {
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const result: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    result.push({
      type: elf.readUInt32LE(at + 4),
      offset: Number(elf.readBigUInt64LE(at + 0x18)),
      size: Number(elf.readBigUInt64LE(at + 0x20)),
      link: elf.readUInt32LE(at + 0x28),
    });
  }
  return result;
}

/**
 * A version requirement the addon states but an older runtime lacks, and how its symbols are bound instead:
 * `rename` maps each symbol to an older one (a suffix of its name), or is absent for a symbol that is only
 * declared (`.globl`) and never relocated, so needs no binding at all.
 */
interface Downgrade {
  readonly file: string;
  readonly version: string;
  readonly baseline: string;
  readonly stripPrefix?: string;
  readonly onlySymbols?: readonly string[];
}

export const DOWNGRADES: readonly Downgrade[] = [
  // C23 strtol/strtoul (glibc 2.38) read a `0b` prefix too; libFuzzer's flag parsing never sees one.
  { file: 'libc.so.6', version: 'GLIBC_2.38', baseline: 'GLIBC_2.2.5', stripPrefix: '__isoc23_' },
  // GCC 13's <iostream> declares `.globl std::ios_base_library_init()` only to require a libstdc++ that
  // initialises the standard streams itself; nothing calls it.
  {
    file: 'libstdc++.so.6',
    version: 'GLIBCXX_3.4.32',
    baseline: 'GLIBCXX_3.4',
    onlySymbols: ['_ZSt21ios_base_library_initv'],
  },
];

interface Requirement {
  readonly at: number;
  readonly file: string;
  readonly version: string;
  readonly hash: number;
  readonly name: number;
  readonly index: number;
}

function requirements(elf: Buffer, verneed: Section, dynstr: Section): Requirement[] {
  const result: Requirement[] = [];
  for (let vn = verneed.offset; ;) {
    const file = cString(elf, dynstr.offset + elf.readUInt32LE(vn + 4));
    for (let aux = vn + elf.readUInt32LE(vn + 8), n = elf.readUInt16LE(vn + 2); n > 0; n--) {
      const name = elf.readUInt32LE(aux + 8);
      result.push({
        at: aux,
        file,
        version: cString(elf, dynstr.offset + name),
        hash: elf.readUInt32LE(aux),
        name,
        index: elf.readUInt16LE(aux + 6),
      });
      const next = elf.readUInt32LE(aux + 12);
      if (next === 0) break;
      aux += next;
    }
    const next = elf.readUInt32LE(vn + 12);
    if (next === 0) break;
    vn += next;
  }
  return result;
}

/** Applies DOWNGRADES to a 64-bit little-endian ELF in place; returns the symbols rebound. */
export function downgradeVersions(elf: Buffer): string[] {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1)
    throw new Error('not an ELF64 LE file');
  const all = sections(elf);
  const dynsym = all.find((s) => s.type === SHT_DYNSYM);
  const versym = all.find((s) => s.type === SHT_GNU_VERSYM);
  const verneed = all.find((s) => s.type === SHT_GNU_VERNEED);
  if (dynsym === undefined || versym === undefined || verneed === undefined)
    throw new Error('no symbol versions');
  const dynstr = all[dynsym.link];
  if (dynstr === undefined) throw new Error('no dynamic string table');
  const needs = requirements(elf, verneed, dynstr);
  const changed: string[] = [];
  for (const downgrade of DOWNGRADES) {
    const needed = needs.find((r) => r.file === downgrade.file && r.version === downgrade.version);
    if (needed === undefined) continue;
    const baseline = needs.find((r) => r.file === downgrade.file && r.version === downgrade.baseline);
    if (baseline === undefined) throw new Error(`no ${downgrade.baseline} requirement to reuse`);
    for (let i = 0; i * 24 < dynsym.size; i++) {
      const versionAt = versym.offset + i * 2;
      if ((elf.readUInt16LE(versionAt) & 0x7fff) !== needed.index) continue;
      const symbolAt = dynsym.offset + i * 24;
      const name = cString(elf, dynstr.offset + elf.readUInt32LE(symbolAt));
      if (downgrade.stripPrefix !== undefined && name.startsWith(downgrade.stripPrefix)) {
        elf.writeUInt32LE(elf.readUInt32LE(symbolAt) + downgrade.stripPrefix.length, symbolAt);
      } else if (!(downgrade.onlySymbols ?? []).includes(name)) {
        throw new Error(`cannot map ${name}@${downgrade.version} to an older symbol`);
      }
      elf.writeUInt16LE(baseline.index, versionAt);
      changed.push(`${name}@${downgrade.version}`);
    }
    elf.writeUInt32LE(baseline.hash, needed.at);
    elf.writeUInt32LE(baseline.name, needed.at + 8);
  }
  return changed;
}

/** Makes `@jazzer.js/fuzzer` loadable here, patching its linux-x64 addon when glibc is too old for it. */
export function ensureFuzzerAddon(): void {
  const require = createRequire(import.meta.url);
  const addon = path.join(
    path.dirname(require.resolve('@jazzer.js/fuzzer/package.json')),
    'prebuilds',
    `fuzzer-${process.platform}-${process.arch}.node`,
  );
  try {
    process.dlopen({ exports: {} }, addon);
    return;
  } catch (error) {
    // Not `instanceof Error`: under jest the test runs in another realm than the one dlopen's error comes from.
    const message = (error as { message?: unknown } | undefined)?.message;
    if (typeof message !== 'string' || !DOWNGRADES.some((d) => message.includes(d.version))) throw error;
  }
  const elf = readFileSync(addon);
  const changed = downgradeVersions(elf);
  // Written beside and renamed over, so a concurrent run never loads a half-written addon.
  const patched = `${addon}.${process.pid}.tmp`;
  writeFileSync(patched, elf);
  renameSync(patched, addon);
  console.error(`fuzz: ${addon} needed a newer glibc/libstdc++; rebound ${changed.join(', ')}`);
  process.dlopen({ exports: {} }, addon);
}

if (import.meta.url === `file://${process.argv[1]}`) ensureFuzzerAddon();
