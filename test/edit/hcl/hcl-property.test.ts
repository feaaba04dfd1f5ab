// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are HCL source, where ${...} is HCL syntax
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hclUpdater } from '../../../src/edit/formats/hcl.js';
import { asHclJsonString, hclToJson, jsonDifferences } from './support.js';

// Random HCL documents: a model of attributes and labelled blocks, rendered with random alignment, indentation,
// comments and line endings, recording where each attribute's expression starts and ends.

type Item =
  | { readonly kind: 'attribute'; readonly name: string; readonly expr: string; readonly heredoc: boolean }
  | {
      readonly kind: 'block';
      readonly type: string;
      readonly labels: readonly Label[];
      readonly items: readonly Item[];
    };

interface Label {
  readonly text: string;
  readonly value: string;
}

interface Style {
  readonly eol: string;
  readonly indent: string;
  readonly pads: readonly number[];
  readonly comments: readonly string[];
  readonly oneLine: boolean;
  readonly bom: boolean;
  readonly finalNewline: boolean;
}

interface Rendered {
  readonly text: string;
  readonly attributes: readonly { path: string; start: number; end: number }[];
}

const piece = fc.oneof(
  fc.string({ unit: fc.constantFrom(...[...'abc -_./:é😀']), maxLength: 6 }),
  // A lone `$` or `%` would turn a following `${` into the escape `$${`, so they come with a space.
  fc.constantFrom(
    '\\n',
    '\\"',
    '\\\\',
    '\\t',
    '\\u00e9',
    '$${x}',
    '%%{y}',
    '$ ',
    '% ',
    '${var.x}',
    '${"}"}',
    '%{ if true }y%{ endif }',
  ),
);
const quoted = fc.array(piece, { maxLength: 4 }).map((pieces) => `"${pieces.join('')}"`);
const leaf = fc.oneof(
  quoted,
  fc.nat(100_000).map(String),
  fc.constantFrom(
    '1.5',
    '1e3',
    'true',
    'false',
    'null',
    'var.region',
    'local.ami_name',
    'data.amazon-ami.base.id',
    'x[0]',
  ),
);
const objectKey = fc.constantFrom('k', 'us-east-1', '"Base AMI"', '"k.2"', 'name_2', '"${x}"');

const { expr } = fc.letrec<{ expr: string; list: string; object: string; call: string; operation: string }>(
  (tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', maxDepth: 3 },
      leaf,
      tie('list'),
      tie('object'),
      tie('call'),
      tie('operation'),
    ),
    list: fc
      .tuple(fc.array(tie('expr'), { maxLength: 3 }), fc.boolean())
      .map(([items, lines]) =>
        lines ? `[\n${items.map((item) => `  ${item}, # item\n`).join('')}]` : `[${items.join(', ')}]`,
      ),
    object: fc
      .tuple(
        fc.uniqueArray(fc.tuple(objectKey, tie('expr'), fc.constantFrom(' = ', ': ', '=')), {
          maxLength: 3,
          selector: ([key]) => key.replaceAll('"', ''),
        }),
        fc.boolean(),
      )
      .map(([items, lines]) => {
        const written = items.map(([key, value, separator]) => `${key}${separator}${value}`);
        return lines ? `{\n${written.map((item) => `  ${item}\n`).join('')}}` : `{ ${written.join(', ')} }`;
      }),
    call: fc
      .tuple(
        fc.constantFrom('lower', 'concat', 'lookup'),
        fc.array(tie('expr'), { maxLength: 3 }),
        fc.boolean(),
      )
      .map(([name, args, lines]) =>
        lines ? `${name}(\n  ${args.join(',\n  ')}\n)` : `${name}(${args.join(', ')})`,
      ),
    operation: fc
      .tuple(tie('expr'), fc.constantFrom('+', '==', '&&', '?'), tie('expr'), tie('expr'))
      .map(([a, op, b, c]) => (op === '?' ? `${a} ? ${b} : ${c}` : `${a} ${op} ${b}`)),
  }),
);

const heredoc = fc
  .tuple(
    fc.boolean(),
    fc.array(fc.constantFrom('plain text', 'C:\\dir "q"', '${var.x}', '$${x}', 'EOTX', ''), { maxLength: 3 }),
  )
  .map(([flush, lines]) =>
    flush
      ? `<<-EOT\n${lines.map((line) => `    ${line}\n`).join('')}    EOT`
      : `<<EOT\n${lines.map((line) => `${line}\n`).join('')}EOT`,
  );

const attribute: fc.Arbitrary<Item> = fc
  .tuple(
    fc.constantFrom('ami', 'region', 'instance_type', 'source_ami', 'volume-size', 'ñame', '_x'),
    fc.oneof(expr, heredoc),
  )
  .map(([name, value]) => ({ kind: 'attribute', name, expr: value, heredoc: value.startsWith('<<') }));

// The label count is fixed per block type: hcl2json cannot merge `source {}` with `source "a" {}`.
const LABELS: Record<string, number> = {
  source: 2,
  variable: 1,
  provisioner: 1,
  build: 0,
  locals: 0,
  launch_block_device_mappings: 0,
};
const label = fc
  .constantFrom('amazon-ebs', 'win2022', 'a.b', 'x', 'powershell', 'a', 'b', 'ünï', 'with space')
  .chain((value) =>
    /^[\p{ID_Start}_][\p{ID_Continue}-]*$/u.test(value)
      ? fc.constantFrom({ text: `"${value}"`, value }, { text: value, value })
      : fc.constant({ text: `"${value}"`, value }),
  );

const itemKey = (item: Item) =>
  item.kind === 'attribute'
    ? `attribute ${item.name}`
    : `block ${[item.type, ...item.labels.map((l) => l.value)].join('.')}`;

const { body } = fc.letrec<{ body: Item[]; block: Item }>((tie) => ({
  body: fc.uniqueArray(fc.oneof({ depthSize: 'small', maxDepth: 2 }, attribute, tie('block')), {
    maxLength: 5,
    selector: itemKey,
  }),
  block: fc
    .constantFrom(...Object.keys(LABELS))
    .chain((type) =>
      fc.tuple(
        fc.constant(type),
        fc.array(label, { minLength: LABELS[type], maxLength: LABELS[type] }),
        tie('body'),
      ),
    )
    .map(([type, labels, items]): Item => ({ kind: 'block', type, labels, items })),
}));

const style: fc.Arbitrary<Style> = fc.record({
  eol: fc.constantFrom('\n', '\r\n'),
  indent: fc.constantFrom('  ', '    ', '\t'),
  pads: fc.array(fc.nat(4), { minLength: 1, maxLength: 8 }),
  comments: fc.array(fc.constantFrom('', '', ' # note', ' // note', ' /* note */'), {
    minLength: 1,
    maxLength: 8,
  }),
  oneLine: fc.boolean(),
  bom: fc.boolean(),
  finalNewline: fc.boolean(),
});

function render(items: readonly Item[], s: Style): Rendered {
  let text = s.bom ? '\ufeff' : '';
  const attributes: { path: string; start: number; end: number }[] = [];
  let n = 0;
  const pick = <T>(list: readonly T[]) => list[n++ % list.length] as T;
  const emit = (line: string) => {
    text += line.replaceAll('\n', s.eol);
  };
  const walk = (list: readonly Item[], depth: number, prefix: string) => {
    const indent = s.indent.repeat(depth);
    for (const item of list) {
      if (pick(s.comments) === ' # note') emit(`${indent}# a comment line\n`);
      if (item.kind === 'attribute') {
        emit(`${indent}${item.name}${' '.repeat(pick(s.pads))}=${' '.repeat(pick(s.pads) % 2)}`);
        const start = text.length;
        emit(item.expr);
        attributes.push({ path: prefix + item.name, start, end: text.length });
        emit(`${item.heredoc ? '' : pick(s.comments)}\n`);
        continue;
      }
      const header = `${indent}${[item.type, ...item.labels.map((l) => l.text)].join(' ')} {`;
      const path = `${prefix}${[item.type, ...item.labels.map((l) => l.value)].join('.')}.`;
      const only = item.items[0];
      if (s.oneLine && item.items.length === 0) {
        emit(`${header}}\n`);
      } else if (
        s.oneLine &&
        item.items.length === 1 &&
        only?.kind === 'attribute' &&
        !only.expr.includes('\n')
      ) {
        emit(`${header} ${only.name} = `);
        const start = text.length;
        emit(only.expr);
        attributes.push({ path: path + only.name, start, end: text.length });
        emit(' }\n');
      } else {
        emit(`${header}${pick(s.comments)}\n`);
        walk(item.items, depth + 1, path);
        emit(`${indent}}\n`);
      }
    }
  };
  walk(items, 0, '');
  if (
    !s.finalNewline &&
    text.endsWith(s.eol) &&
    !items.some((item) => item.kind === 'attribute' && item.heredoc)
  ) {
    text = text.slice(0, -s.eol.length);
  }
  return { text, attributes };
}

const value = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc
    .array(
      fc.constantFrom(
        '"',
        '\\',
        '${',
        '%{',
        '$${',
        '}',
        '\n',
        '\r\n',
        '\t',
        'é',
        'e\u0301',
        '😀',
        '$',
        '%',
        'ami-0a1b',
        '\u0001',
      ),
      {
        maxLength: 8,
      },
    )
    .map((parts) => parts.join('')),
);

describe('hclUpdater on random documents', () => {
  it('changes only the bytes of the edited expression, and HCL reads the new value', async () => {
    await fc.assert(
      fc.asyncProperty(body, style, fc.nat(), value, async (items, s, which, newValue) => {
        const { text, attributes } = render(items, s);
        const unique = attributes.filter((a) => attributes.filter((b) => b.path === a.path).length === 1);
        fc.pre(unique.length > 0);
        const target = unique[which % unique.length] as (typeof unique)[number];

        const after = hclUpdater.updateContent(text, target.path, newValue);

        const tail = text.length - target.end;
        expect(after.slice(0, target.start)).toBe(text.slice(0, target.start));
        expect(after.slice(after.length - tail)).toBe(text.slice(target.end));
        expect(after.slice(target.start, after.length - tail)).toMatch(/^"[^\r\n]*"$/);
        expect(hclUpdater.readString(after, target.path)).toBe(newValue.normalize('NFC'));
        hclUpdater.verifyEdit(text, after, target.path, newValue);

        const differences = jsonDifferences(await hclToJson(text), await hclToJson(after));
        expect(differences.length).toBeLessThanOrEqual(1);
        for (const difference of differences) expect(difference.after).toBe(asHclJsonString(newValue));
      }),
      { numRuns: 200 },
    );
  });

  it('decodes literal strings and heredocs as HCL does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(quoted, heredoc), fc.constantFrom('\n', '\r\n'), async (literal, eol) => {
        const text = `v = ${literal}\n`.replaceAll('\n', eol);
        const json = ((await hclToJson(text)) as { v: string }).v;
        if (/(^|[^$])\$\{|(^|[^%])%\{/.test(literal)) {
          expect(() => hclUpdater.readString(text, 'v')).toThrow(/interpolates/);
        } else {
          expect(asHclJsonString(hclUpdater.readString(text, 'v'))).toBe(json);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reads every attribute of a random document where it was written', () => {
    fc.assert(
      fc.property(body, style, (items, s) => {
        const { text, attributes } = render(items, s);
        for (const attribute of attributes) {
          if (attributes.filter((other) => other.path === attribute.path).length > 1) continue;
          const marker = hclUpdater.updateContent(text, attribute.path, '\u0000');
          expect(marker.slice(0, attribute.start)).toBe(text.slice(0, attribute.start));
          expect(marker.slice(attribute.start, attribute.start + 8)).toBe('"\\u0000"');
        }
      }),
      { numRuns: 300 },
    );
  });
});
