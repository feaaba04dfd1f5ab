import type { Tree } from '@lezer/common';

/**
 * A parsed EDN document: the source text and its lezer tree. Its own module because both the syntax checks
 * (edn-syntax.ts) and the value reader (edn-value.ts) take one, and edn-syntax already reads values.
 */
export interface EdnDocument {
  readonly text: string;
  readonly tree: Tree;
}
