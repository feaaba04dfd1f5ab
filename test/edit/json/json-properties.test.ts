import fc from 'fast-check';
import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { jsonUpdater } from '../../../src/edit/formats/json.js';
import { formatJsonPointer } from '../../../src/edit/formats/json-pointer.js';
import { changedRegion } from '../yaml/changed-region.js';

type Tree = string | number | boolean | null | Tree[] | { [key: string]: Tree };
type Step = string | number;

const unit = fc.oneof(
  { arbitrary: fc.constantFrom(...'abcxyz019 ._-/'), weight: 3 },
  fc.constantFrom(...'"\\/\n\r\t\b\f{}[]:,~', '\u0000', '\u001f', '\u2028', '\u2029', 'é', '😀', '\uFEFF'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const text = fc.string({ unit, maxLength: 20 });
const key = fc.string({ unit: fc.constantFrom(...'abk0~/ "\\é'), maxLength: 6 });

const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.dictionary(key, tie('tree'), { maxKeys: 5, noNullPrototype: true }),
  ),
}));
const root = fc.dictionary(key, tree, { minKeys: 1, maxKeys: 6, noNullPrototype: true });
const layout = fc.record({
  indent: fc.constantFrom<string | number>(0, 2, 4, '\t'),
  crlf: fc.boolean(),
  bom: fc.boolean(),
  finalNewline: fc.boolean(),
});

type Layout = typeof layout extends fc.Arbitrary<infer T> ? T : never;

function render(value: Tree, { indent, crlf, bom, finalNewline }: Layout): string {
  const json = JSON.stringify(value, null, indent) + (finalNewline ? '\n' : '');
  return (bom ? '\uFEFF' : '') + (crlf ? json.replaceAll('\n', '\r\n') : json);
}

function paths(value: Tree, keep: (value: Tree) => boolean, at: Step[] = []): Step[][] {
  const here = keep(value) ? [at] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((item, i) => paths(item, keep, [...at, i]))];
  if (value !== null && typeof value === 'object') {
    return [...here, ...Object.entries(value).flatMap(([name, item]) => paths(item, keep, [...at, name]))];
  }
  return here;
}

const isScalar = (value: Tree) => value === null || typeof value !== 'object';
const isObject = (value: Tree) => value !== null && typeof value === 'object' && !Array.isArray(value);

function valueAt(value: Tree, path: readonly Step[]): Tree {
  return path.reduce<Tree>((node, step) => (node as Record<string, Tree>)[step] as Tree, value);
}

function withValueAt(value: Tree, path: readonly Step[], replacement: string): Tree {
  const copy = structuredClone(value);
  const parent = valueAt(copy, path.slice(0, -1)) as Record<string, Tree>;
  parent[path.at(-1) as string] = replacement;
  return copy;
}

const parseJson = (json: string) => JSON.parse(json.replace(/^\uFEFF/, ''));
const pointer = (path: readonly Step[]) => formatJsonPointer(path.map(String));

describe('jsonUpdater on generated documents', () => {
  it('replaces only the old value, and the result parses with only that value changed', () => {
    fc.assert(
      fc.property(root, layout, fc.nat(), text, (value, style, choice, replacement) => {
        const before = render(value, style);
        const candidates = paths(value, isScalar);
        fc.pre(candidates.length > 0);
        const path = candidates[choice % candidates.length] ?? [];
        const old = findNodeAtLocation(
          parseTree(before.replace(/^\uFEFF/, ' ')) ?? { type: 'null', offset: 0, length: 0 },
          path,
        );
        if (old === undefined) throw new Error(`no node at ${pointer(path)}`);

        const after = jsonUpdater.updateContent(before, pointer(path), replacement);

        expect(after.slice(0, old.offset)).toBe(before.slice(0, old.offset));
        expect(after.slice(after.length - (before.length - old.offset - old.length))).toBe(
          before.slice(old.offset + old.length),
        );
        expect(parseJson(after)).toEqual(withValueAt(value, path, replacement));
        expect(jsonUpdater.readString(after, pointer(path))).toBe(replacement);
      }),
    );
  });

  it('adds a missing key last, inserting text without changing any other byte', () => {
    fc.assert(
      fc.property(root, layout, fc.nat(), key, text, (value, style, choice, name, replacement) => {
        const candidates = paths(value, isObject);
        const path = candidates[choice % candidates.length] ?? [];
        fc.pre(!Object.hasOwn(valueAt(value, path) as object, name));
        const before = render(value, style);

        const after = jsonUpdater.updateContent(before, pointer([...path, name]), replacement, {
          create: true,
        });

        const region = changedRegion(before, after);
        expect(region.end).toBe(region.start);
        expect(parseJson(after)).toEqual(withValueAt(value, [...path, name], replacement));
        const object = findNodeAtLocation(
          parseTree(after.replace(/^\uFEFF/, ' ')) ?? { type: 'null', offset: 0, length: 0 },
          path,
        );
        expect(object?.children?.at(-1)?.children?.[0]?.value).toBe(name);
      }),
    );
  });
});
