import type { AnyFamily } from '../family.js';

/** Stands in for a family whose logic is not written yet: every call fails with a clear message. */
export function unfinishedFamily(name: string): AnyFamily {
  return new Proxy({ name } as AnyFamily, {
    get(target, prop) {
      if (prop === 'name') return name;
      if (prop === 'then') return undefined;
      return () => { throw new Error(`family '${name}' is not implemented yet (${String(prop)})`); };
    },
  });
}
