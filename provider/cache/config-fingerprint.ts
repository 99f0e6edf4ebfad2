import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PublicKey, X509Certificate } from '@peculiar/x509';
import { ConfigSecret, type ConfigSnapshot } from '../config/index.js';

/** Files read per directory named by a trust path at most, as the notation verifier reads them. */
const MAX_FILES_PER_DIRECTORY = 256;

/** Snapshot fields that differ between replicas holding the same configuration. */
const REPLICA_LOCAL_FIELDS: ReadonlySet<string> = new Set(['generation', 'sourceDescription']);

/** A value the canonical form does not know how to write; sharing is off for that snapshot. */
class UnsupportedValue extends Error {}

/**
 * The configuration a verdict was reached under, comparable across replicas: `config-sha256:<hex>` over a
 * canonical form of the snapshot (sorted keys; certificates and keys as DER; secrets left out) plus the contents
 * of the trust files it names by path (notation `verificationCerts`, cosign key files and trusted roots, rego
 * policy files) and `salt` (the signet version, so replicas of different versions never share verdicts).
 *
 * `snapshot.generation` cannot serve: it counts loads per process, so two replicas with the same configuration
 * have different generations, and two with different ones may have the same. Undefined when the snapshot holds a
 * value this function cannot write canonically: then verdicts of that snapshot are not shared.
 */
export function fingerprintConfig(snapshot: ConfigSnapshot, salt: string): string | undefined {
  const hash = createHash('sha256');
  try {
    hash.update(canonical(snapshot, 0));
  } catch (error) {
    if (error instanceof UnsupportedValue) return undefined;
    throw error;
  }
  for (const [path, digest] of trustFiles(snapshot)) hash.update(`\0${path}\0${digest}`);
  hash.update(`\0salt\0${salt}`);
  return `config-sha256:${hash.digest('hex')}`;
}

function canonical(value: unknown, depth: number): string {
  if (depth > 64) throw new UnsupportedValue('configuration nested too deeply');
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
    case 'bigint':
    case 'symbol':
    case 'function':
      throw new UnsupportedValue(`a ${typeof value} in the configuration`);
    case 'undefined':
      return 'null';
    case 'object':
      break;
  }
  // Registry passwords do not change what a signature proves; their digest is no business of Redis.
  if (value instanceof ConfigSecret) return '"[secret]"';
  if (value instanceof X509Certificate) return JSON.stringify({ x509: toHex(value.rawData) });
  if (value instanceof PublicKey) return JSON.stringify({ spki: toHex(value.rawData) });
  if (Array.isArray(value)) return `[${value.map((item) => canonical(item, depth + 1)).join(',')}]`;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null)
    throw new UnsupportedValue('an object of an unknown class in the configuration');
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([key, item]) => item !== undefined && !(depth === 0 && REPLICA_LOCAL_FIELDS.has(key)))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, item]) => `${JSON.stringify(key)}:${canonical(item, depth + 1)}`);
  return `{${entries.join(',')}}`;
}

function toHex(bytes: ArrayBuffer): string {
  return Buffer.from(bytes).toString('hex');
}

/** Paths of trust material the snapshot names but does not hold (read when verifiers are built). */
function trustPaths(snapshot: ConfigSnapshot): string[] {
  const paths: string[] = [];
  for (const verifier of snapshot.verifiers) {
    if (verifier.type === 'notation') {
      paths.push(...verifier.verificationCerts);
      continue;
    }
    const { mode } = verifier;
    if (mode.$case === 'legacy') {
      if (mode.key !== undefined) paths.push(mode.key);
      continue;
    }
    for (const policy of mode.trustPolicies) {
      for (const key of policy.keys) if (key.$case === 'file') paths.push(key.path);
      if (policy.keyless?.trustedRootPath !== undefined) paths.push(policy.keyless.trustedRootPath);
      if (policy.trustedRootPath !== undefined) paths.push(policy.trustedRootPath);
    }
  }
  for (const policy of snapshot.policies)
    if (policy.type === 'rego-policy' && policy.policyPath !== undefined) paths.push(policy.policyPath);
  return [...new Set(paths)].sort();
}

/** [path, content digest] for each trust file, directories expanded one level; a missing file is `absent`. */
function trustFiles(snapshot: ConfigSnapshot): [string, string][] {
  const files: [string, string][] = [];
  for (const path of trustPaths(snapshot)) {
    let entries: string[];
    try {
      entries = statSync(path).isDirectory()
        ? readdirSync(path)
            .sort()
            .slice(0, MAX_FILES_PER_DIRECTORY)
            .map((name) => join(path, name))
        : [path];
    } catch {
      files.push([path, 'absent']);
      continue;
    }
    for (const entry of entries) files.push([entry, digestOf(entry)]);
  }
  return files;
}

function digestOf(path: string): string {
  try {
    if (!statSync(path).isFile()) return 'not-a-file';
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (error) {
    return `unreadable:${(error as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}
