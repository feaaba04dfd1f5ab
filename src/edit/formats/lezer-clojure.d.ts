// The package's "exports" map has no "types" entry, so NodeNext resolution cannot see its index.d.ts.
declare module '@nextjournal/lezer-clojure' {
  import type { LRParser } from '@lezer/lr';
  /** The lezer parser for Clojure, which also reads EDN. */
  export const parser: LRParser;
}
