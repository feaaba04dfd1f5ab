import { describe, expect, it } from 'vitest';
import { editText } from '../../src/edit/edit-text.js';
import { InputError } from '../../src/errors.js';

const CONFIGMAP = `apiVersion: v1
kind: ConfigMap
data:
  config.edn: |
    {:vm-manager {:images {"aws" {"windows-server-2022" "ami-0aaaaaaaaaaaaaaaa"}}}}
`;

describe('editText', () => {
  it('edits a document embedded in a YAML string, keeping every other byte', () => {
    const result = editText(
      {
        file: 'chart/templates/configmap.yaml',
        path: '/data/config.edn',
        embedded: 'edn',
        innerPath: '[:vm-manager :images "aws" "windows-server-2022"]',
        value: 'ami-0bbbbbbbbbbbbbbbb',
      },
      CONFIGMAP,
    );
    expect(result).toMatchObject({ format: 'yaml', before: 'ami-0aaaaaaaaaaaaaaaa', changed: true });
    expect(result.text).toBe(CONFIGMAP.replace('ami-0aaaaaaaaaaaaaaaa', 'ami-0bbbbbbbbbbbbbbbb'));
  });

  it('keeps a byte-order mark and returns the same text when the value is already there', () => {
    const text = '\uFEFF{"image": "ami-0aaaaaaaaaaaaaaaa"}\n';
    const same = editText({ file: 'images.json', path: '/image', value: 'ami-0aaaaaaaaaaaaaaaa' }, text);
    expect(same).toMatchObject({ changed: false, text });
    const edited = editText({ file: 'images.json', path: '/image', value: 'ami-0cccccccccccccccc' }, text);
    expect(edited.text).toBe('\uFEFF{"image": "ami-0cccccccccccccccc"}\n');
  });

  it('refuses an inner path without its embedded format, and a missing key, as input errors', () => {
    expect(() => editText({ file: 'a.yaml', path: '/a', innerPath: '[:x]', value: 'v' }, 'a: b\n')).toThrow(
      InputError,
    );
    expect(() => editText({ file: 'a.yaml', path: '/missing', value: 'v' }, 'a: b\n')).toThrow(InputError);
  });
});
