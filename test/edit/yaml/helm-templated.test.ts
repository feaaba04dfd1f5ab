/**
 * A Helm chart's templated ConfigMap: the embedded config.edn and plain values are edited byte for byte around the
 * template code; a value the template writes is refused, naming the line.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { editText } from '../../../src/edit/edit-text.js';
import { EditError } from '../../../src/edit/format.js';
import { targetIn } from '../../../src/update/checkout.js';

const file = 'chart/templates/configmap.yaml';
const chart = readFileSync(
  new URL('../../fixtures/yaml/helm-configmap-templated.yaml', import.meta.url),
  'utf8',
);
const NEW = 'ami-0123456789abcdef0';
const embedded = {
  file,
  path: '/data/config.edn',
  embedded: 'edn',
  innerPath: '[:vm-manager :images "aws" "windows-server-2022"]',
};

describe('a templated Helm chart', () => {
  it('edits the embedded EDN value byte for byte, template code and all else untouched', () => {
    const result = editText({ ...embedded, value: NEW }, chart);
    expect(result.text).toBe(chart.replace('ami-0a1b2c3d4e5f60718', NEW));
    expect(result.before).toBe('ami-0a1b2c3d4e5f60718');
    expect(editText({ ...embedded, value: NEW }, result.text).changed).toBe(false);
  });

  it('edits a plain YAML value next to template code', () => {
    const result = editText({ file, path: '/data/region', value: 'us-west-2' }, chart);
    expect(result.text).toBe(chart.replace('region: us-east-1', 'region: us-west-2'));
  });

  it('reads the values a bump compares, as the editor sees them', () => {
    const target = {
      file,
      path: '/data/config.edn',
      embedded: 'edn' as const,
      inner_path: embedded.innerPath,
    };
    expect(targetIn(chart, target, 'bump.files[2]')).toBe('ami-0a1b2c3d4e5f60718');
  });

  it('refuses a value the template writes, naming its line', () => {
    const edit = () => editText({ file, path: '/data/log-level', value: 'debug' }, chart);
    expect(edit).toThrow(EditError);
    expect(edit).toThrow(/written by template code \(\{\{ \.\.\. \}\} at line 22\)/);
    const name = () => editText({ file, path: '/metadata/name', value: 'vm-manager' }, chart);
    expect(name).toThrow(/template code/);
  });

  it('refuses with the reason when the edit cannot read around the template code', () => {
    const broken = chart.replace('  region: us-east-1\n', '  region: [us-east-1\n');
    expect(() => editText({ file, path: '/data/region', value: 'x' }, broken)).toThrow(
      /the file is a template: its \{\{ \.\.\. \}\} code was set aside/,
    );
  });
});
