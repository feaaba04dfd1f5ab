import fc from 'fast-check';

/** A random EDN form, kept as a tree so that the printer knows where every value lands. */
export type Form =
  | { kind: 'map'; entries: Array<[key: string, value: Form]> }
  | { kind: 'vector'; items: Form[] }
  | { kind: 'tagged'; tag: string; value: Form }
  | { kind: 'scalar'; text: string };

/** A printed document and the spans of its scalars and maps, each with its path as EDN key texts. */
export interface Printed {
  text: string;
  scalars: Array<{ path: string[]; from: number; to: number }>;
  maps: Array<{ path: string[] }>;
  brackets: number[];
}

const stringUnits = fc.constantFrom(
  'a',
  'Z',
  '0',
  ' ',
  '\\',
  '"',
  '\n',
  '\r',
  '\t',
  ';',
  ',',
  '{',
  '}',
  '#_',
  ':',
  'é',
  '😀',
);

/** Text that goes into a string: quotes, backslashes, control characters, comment and bracket characters. */
export const awkwardString = fc.oneof(
  fc.string({ unit: stringUnits, maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
const keyword = fc
  .tuple(name, fc.option(name, { nil: undefined }))
  .map(([n, ns]) => (ns ? `:${ns}/${n}` : `:${n}`));
const ednString = awkwardString.map((s) => JSON.stringify(s));

const scalar: fc.Arbitrary<Form> = fc
  .oneof(
    keyword,
    ednString,
    fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((d) => d.toFixed(3)),
    fc.constantFrom('true', 'false', 'nil', 'windows-server', 'java.lang.String'),
  )
  .map((text) => ({ kind: 'scalar', text }));

const { form } = fc.letrec<{ form: Form; map: Form; vector: Form; tagged: Form }>((tie) => ({
  form: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    tie('map'),
    tie('vector'),
    tie('tagged'),
  ),
  map: fc
    .uniqueArray(fc.tuple(fc.oneof(keyword, ednString), tie('form')), {
      maxLength: 5,
      selector: ([key]) => key,
    })
    .map((entries) => ({ kind: 'map', entries })),
  vector: fc.array(tie('form'), { maxLength: 4 }).map((items) => ({ kind: 'vector', items })),
  tagged: fc
    .tuple(fc.constantFrom('profile', 'env', 'or', 'ref', 'long', 'my-app/tag'), tie('form'))
    .map(([tag, value]) => ({ kind: 'tagged', tag, value })),
}));

const gapPiece = fc.constantFrom(
  ' ',
  '  ',
  '\n',
  '\r\n',
  ',',
  ', ',
  '\t',
  '\n ',
  ' ;; comment ; "not a string"\n',
);
const discard = fc.constantFrom('#_ :gone ', '#_ #_ :gone "x" ', '#_{:a [1 2]} ', '#_"a;b" ');

/** Layout between forms: always starts with whitespace or a comma, sometimes holds comments and discards. */
export const gap = fc
  .tuple(
    fc.constantFrom(' ', ',', '\n', '\r\n'),
    fc.array(fc.oneof({ weight: 4, arbitrary: gapPiece }, discard), { maxLength: 3 }),
  )
  .map(([first, rest]) => first + rest.join(''));

/** What the document generator produces, before printing. */
export interface GeneratedDocument {
  root: Array<[key: string, value: Form]>;
  gaps: string[];
  header: string;
  trailer: string;
}

/** A document: a top-level map (as config.edn is), with comments around it and random layout. */
export const documentArb: fc.Arbitrary<GeneratedDocument> = fc.record({
  root: fc.uniqueArray(fc.tuple(fc.oneof(keyword, ednString), form), {
    minLength: 1,
    maxLength: 6,
    selector: ([key]) => key,
  }),
  gaps: fc.array(gap, { minLength: 1, maxLength: 40 }),
  header: fc.constantFrom('', ';; service config\n', '; a\r\n\r\n'),
  trailer: fc.constantFrom('', '\n', '\r\n', '\n;; end\n'),
});

/** Prints a generated document, recording where each scalar and map is. */
export function printDocument({ root, gaps, header, trailer }: GeneratedDocument): Printed {
  const printed: Printed = { text: header, scalars: [], maps: [], brackets: [] };
  let gapIndex = 0;
  const nextGap = () => gaps[gapIndex++ % gaps.length] as string;
  const write = (s: string) => {
    printed.text += s;
  };
  const print = (f: Form, path: string[]) => {
    switch (f.kind) {
      case 'scalar': {
        const from = printed.text.length;
        write(f.text);
        printed.scalars.push({ path, from, to: printed.text.length });
        return;
      }
      case 'tagged':
        write(`#${f.tag}${nextGap()}`);
        print(f.value, path);
        return;
      case 'map':
        printed.maps.push({ path });
        printed.brackets.push(printed.text.length);
        write('{');
        f.entries.forEach(([key, value], i) => {
          if (i > 0) write(nextGap());
          write(`${key}${nextGap()}`);
          print(value, [...path, key]);
        });
        printed.brackets.push(printed.text.length);
        write('}');
        return;
      case 'vector':
        printed.brackets.push(printed.text.length);
        write('[');
        f.items.forEach((item, i) => {
          if (i > 0) write(nextGap());
          print(item, [...path, String(i)]);
        });
        printed.brackets.push(printed.text.length);
        write(']');
        return;
    }
  };
  print({ kind: 'map', entries: root }, []);
  write(trailer);
  return printed;
}
