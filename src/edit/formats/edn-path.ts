import type { EDNVal } from 'edn-data';
import { EditError } from '../format.js';
import { formsOf, parseEdnDocument } from './edn-syntax.js';
import { ednValueOf } from './edn-value.js';

/**
 * Reads a path written as an EDN vector of keys, e.g. `[:vm-manager :images "gce" 0]`.
 * Keywords and strings stay distinct (`{key: 'a'}` vs `'a'`); integers index vectors and lists.
 */
export function parseEdnPath(path: string): EDNVal[] {
  let keys: EDNVal | undefined;
  try {
    const doc = parseEdnDocument(path);
    const forms = formsOf(doc.tree.topNode);
    if (forms.length === 1 && forms[0]?.name === 'Vector') keys = ednValueOf(doc, forms[0]);
  } catch (error) {
    if (!(error instanceof EditError)) throw error;
    throw new EditError('invalid-path', `path ${path} is not valid EDN: ${error.message}`, { setting: path });
  }
  if (!Array.isArray(keys)) {
    throw new EditError('invalid-path', `path must be one EDN vector of keys, like [:a "b" 0], not ${path}`, {
      setting: path,
    });
  }
  if (keys.length === 0) throw new EditError('invalid-path', 'path [] names no value', { setting: path });
  return keys;
}

/** The vector index a key names, if it is a non-negative integer. */
export function indexOfKey(key: EDNVal): number | undefined {
  if (typeof key === 'number' && Number.isInteger(key) && key >= 0) return key;
  if (typeof key === 'bigint' && key >= 0n && key <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(key);
  return undefined;
}
