import { type EDNVal, parseEDNString } from 'edn-data';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EditError } from '../../../src/edit/format.js';
import { ednUpdater } from '../../../src/edit/formats/edn.js';
import { awkwardString, documentArb, printDocument } from './edn-generator.js';

const readOptions = { mapAs: 'doubleArray', keywordAs: 'object', listAs: 'object', setAs: 'object' } as const;

/** The value at `path` (EDN key texts) read with edn-data alone, going through tags. */
function valueAt(text: string, path: string[]): EDNVal | undefined {
  let current = parseEDNString(text, readOptions) as EDNVal;
  for (const keyText of [...path, null]) {
    while (typeof current === 'object' && current !== null && 'tag' in current) current = current.val;
    if (keyText === null) return current;
    const key = parseEDNString(keyText, readOptions) as EDNVal;
    if (Array.isArray(current)) {
      current = current[key as number] as EDNVal;
    } else if (typeof current === 'object' && current !== null && 'map' in current) {
      const entry = current.map.find(([k]) => JSON.stringify(k) === JSON.stringify(key));
      if (!entry) return undefined;
      current = entry[1];
    } else {
      return undefined;
    }
  }
  return undefined;
}

const pathText = (path: string[]) => `[${path.join(' ')}]`;

describe('ednUpdater on generated documents', () => {
  it('changes only the bytes of the value, and edn-data reads the new string there', () => {
    fc.assert(
      fc.property(documentArb, fc.nat(), awkwardString, (generated, pick, value) => {
        const { text, scalars } = printDocument(generated);
        fc.pre(scalars.length > 0);
        const target = scalars[pick % scalars.length] as (typeof scalars)[number];
        const path = pathText(target.path);

        const after = ednUpdater.updateContent(text, path, value);

        const suffixLength = text.length - target.to;
        expect(after.slice(0, target.from)).toBe(text.slice(0, target.from));
        expect(after.slice(after.length - suffixLength)).toBe(text.slice(target.to));
        expect(parseEDNString(after.slice(target.from, after.length - suffixLength))).toBe(value);
        expect(valueAt(after, target.path)).toBe(value);
        ednUpdater.verifyEdit(text, after, path, value);
      }),
      { numRuns: 300 },
    );
  });

  it('adds a missing key to any map by inserting text only', () => {
    fc.assert(
      fc.property(documentArb, fc.nat(), awkwardString, (generated, pick, value) => {
        const { text, maps } = printDocument(generated);
        const target = maps[pick % maps.length] as (typeof maps)[number];
        const path = [...target.path, ':hephestus/added'];

        const after = ednUpdater.updateContent(text, pathText(path), value, { create: true });

        let prefix = 0;
        while (prefix < text.length && text[prefix] === after[prefix]) prefix++;
        expect(after.slice(after.length - (text.length - prefix))).toBe(text.slice(prefix));
        expect(valueAt(after, path)).toBe(value);
        ednUpdater.verifyEdit(text, after, pathText(path), value);
      }),
      { numRuns: 200 },
    );
  });

  it('reports a syntax error at a bracket when one is removed', () => {
    fc.assert(
      fc.property(documentArb, fc.nat(), (generated, pick) => {
        const { text, brackets, scalars } = printDocument(generated);
        const at = brackets[pick % brackets.length] as number;
        const broken = text.slice(0, at) + text.slice(at + 1);
        const path = pathText(scalars[0]?.path ?? [':a']);
        let error: unknown;
        try {
          ednUpdater.updateContent(broken, path, 'x');
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(EditError);
        expect(error).toMatchObject({ kind: 'syntax', location: { line: expect.any(Number) } });
      }),
      { numRuns: 200 },
    );
  });
});
