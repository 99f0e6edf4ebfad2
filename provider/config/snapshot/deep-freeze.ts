function isPlainContainer(value: object): boolean {
  if (Array.isArray(value)) return true;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Freezes plain objects and arrays recursively. Instances of library classes (certificates,
 * public keys, secrets) are frozen themselves but not walked: their internals are the library's.
 * Typed arrays cannot be frozen and are left alone; the snapshot holds none outside such instances.
 */
export function deepFreeze<T>(value: T, seen: WeakSet<object> = new WeakSet()): T {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || seen.has(value))
    return value;
  seen.add(value);
  if (isPlainContainer(value)) {
    for (const child of Object.values(value)) deepFreeze(child, seen);
  }
  return Object.freeze(value);
}
