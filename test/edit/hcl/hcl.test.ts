// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are HCL source, where ${...} is HCL syntax
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hclUpdater, quoteHclString } from '../../../src/edit/formats/hcl.js';
import { editError } from '../updater-harness.js';
import { asHclJsonString, changedSpan, hclToJson, jsonDifferences, packer } from './support.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/hcl/${name}`, import.meta.url), 'utf8');
const template = fixture('windows-2022.pkr.hcl');
const pkrvars = fixture('windows.auto.pkrvars.hcl');
const crlf = (text: string) => text.replaceAll('\n', '\r\n');

describe('hclUpdater.updateContent on the Windows template', () => {
  // path, the old expression as written (unique in the file with the text after it), where hcl2json shows it, a new value
  const edits: [string, string, string, string, string][] = [
    [
      'variable.source_ami.default',
      '"ami-0c2b0d3fb02824d92"',
      ' //',
      '/variable/source_ami/0/default',
      'ami-0fedcba98',
    ],
    [
      'source.amazon-ebs.win2022.source_ami',
      'var.source_ami',
      '\n',
      '/source/amazon-ebs/win2022/0/source_ami',
      'ami-0aaa',
    ],
    [
      'source.amazon-ebs.win2022.instance_type',
      '"t3.xlarge"',
      '\n',
      '/source/amazon-ebs/win2022/0/instance_type',
      'm5.2xlarge',
    ],
    [
      'source.amazon-ebs.win2022.launch_block_device_mappings.volume_size',
      '60',
      '\n',
      '/source/amazon-ebs/win2022/0/launch_block_device_mappings/0/volume_size',
      '120',
    ],
    [
      'source.amazon-ebs.win2022.tags.Base AMI',
      '"{{ .SourceAMI }}"',
      '\n',
      '/source/amazon-ebs/win2022/0/tags/Base AMI',
      'ami-1',
    ],
    [
      'variable.amis.default.us-east-1.build.v2',
      '"ami-0123456789abcdef0"',
      '\n',
      '/variable/amis/0/default/us-east-1/build.v2',
      'ami-2',
    ],
    [
      'variable.amis.default.eu-west-1.base',
      '"ami-0a1b2c3d4e5f60718"',
      ' }',
      '/variable/amis/0/default/eu-west-1/base',
      'ami-3',
    ],
    [
      'locals.ami_name',
      '"windows-2022-${local.timestamp}"',
      '\n',
      '/locals/0/ami_name',
      'C:\\images\\win "2022" ${not.a.ref}',
    ],
    [
      'build.provisioner.windows-restart.restart_timeout',
      '"15m"',
      '\n',
      '/build/0/provisioner/windows-restart/0/restart_timeout',
      '30m',
    ],
    [
      'build.post-processor.manifest.strip_path',
      'true',
      '\n  }\n}',
      '/build/0/post-processor/manifest/0/strip_path',
      'false',
    ],
  ];

  it.each(edits)('%s replaces only the bytes of %s', async (path, old, following, jsonPath, value) => {
    const after = hclUpdater.updateContent(template, path, value);

    const at = template.indexOf(`= ${old}${following}`) + 2;
    expect(template.indexOf(`= ${old}${following}`, at)).toBe(-1);
    expect(after).toBe(template.slice(0, at) + quoteHclString(value) + template.slice(at + old.length));
    expect(hclUpdater.readString(after, path)).toBe(value);
    expect(() => hclUpdater.verifyEdit(template, after, path, value)).not.toThrow();
    expect(jsonDifferences(await hclToJson(template), await hclToJson(after))).toEqual([
      expect.objectContaining({ path: jsonPath, after: asHclJsonString(value) }),
    ]);
  });

  it('writes the escapes HCL needs', async () => {
    const value = 'C:\\images\\win "2022"\n${var.x} %{ if } 😀\t\u0001';
    const after = hclUpdater.updateContent(template, 'variable.region.default', value);
    expect(after).toContain(
      'default     = "C:\\\\images\\\\win \\"2022\\"\\n$${var.x} %%{ if } 😀\\t\\u0001"\n  description = "Region',
    );
    expect(
      ((await hclToJson(after)) as { variable: { region: [{ default: string }] } }).variable.region[0]
        .default,
    ).toBe(asHclJsonString(value));
  });

  it('replaces a heredoc and a multi-line list by a quoted string', async () => {
    let after = hclUpdater.updateContent(template, 'variable.source_ami.description', 'Base AMI.');
    after = hclUpdater.updateContent(after, 'source.amazon-ebs.win2022.ami_regions', 'us-west-2');
    await expect(after).toMatchFileSnapshot('__snapshots__/windows-2022.description-and-regions.pkr.hcl');
    expect(changedSpan(template, after).removed).toContain('<<-EOT');
  });

  it('keeps CRLF line endings and a byte order mark', () => {
    const windows = `\ufeff${crlf(template)}`;
    const path = 'source.amazon-ebs.win2022.instance_type';
    const after = hclUpdater.updateContent(windows, path, 't3.2xlarge');
    expect(after).toBe(`\ufeff${crlf(hclUpdater.updateContent(template, path, 't3.2xlarge'))}`);
    expect(() => hclUpdater.verifyEdit(windows, after, path, 't3.2xlarge')).not.toThrow();
  });

  it('reads the strings it can edit', () => {
    expect(hclUpdater.readString(template, 'variable.source_ami.description')).toBe(
      'Base AMI for the build. The pipeline replaces this value when Amazon\npublishes a new image; the name pattern is\n' +
        'Windows_Server-2022-English-Full-Base-* (see ${path.root}/README.md).\n',
    );
    expect(hclUpdater.readString(crlf(template), 'source.amazon-ebs.win2022.tags.OS')).toBe(
      'Windows Server 2022',
    );
    const notString = (path: string) => editError(() => hclUpdater.readString(template, path));
    expect(notString('locals.ami_name')).toMatchObject({
      kind: 'not-a-string',
      location: { line: 51, column: 15 },
    });
    expect(notString('source.amazon-ebs.win2022.winrm_use_ssl')).toMatchObject({ kind: 'not-a-string' });
    expect(notString('source.amazon-ebs.win2022.ami_regions').message).toContain(
      'ami_regions is not a string',
    );
  });

  it('passes packer validate and packer fmt -check after edits', async () => {
    let after = hclUpdater.updateContent(template, 'variable.source_ami.default', 'ami-0fedcba9876543210');
    after = hclUpdater.updateContent(after, 'source.amazon-ebs.win2022.instance_type', 'm6i.large');
    after = hclUpdater.updateContent(after, 'variable.amis.default.us-east-1.build.v2', 'ami-${x}"y"');
    const files = { 'windows-2022.pkr.hcl': after, 'windows.auto.pkrvars.hcl': pkrvars };
    const validate = await packer(['validate', '-syntax-only'], files);
    expect(validate).toMatchObject({ code: 0 });
    expect(await packer(['fmt', '-check'], { 'windows-2022.pkr.hcl': after })).toMatchObject({
      code: 0,
      output: '',
    });
  });

  it('gives packer the new value, escapes included', async () => {
    const value = 'ami-0fedcba "quoted" C:\\dir ${var.region} %{ if }';
    const vars = hclUpdater.updateContent(crlf(pkrvars), 'source_ami', value);
    const inspect = await packer(['inspect'], {
      'windows-2022.pkr.hcl': template,
      'windows.auto.pkrvars.hcl': vars,
    });
    expect(inspect.code).toBe(0);
    expect(inspect.output).toContain(`var.source_ami: ${JSON.stringify(value)}\n`);
  });
});

describe('hclUpdater.updateContent on a variables file', () => {
  it('edits a top-level attribute and keeps the comment after it', async () => {
    const after = hclUpdater.updateContent(pkrvars, 'source_ami', 'ami-0fedcba9876543210');
    expect(after).toBe(pkrvars.replace('"ami-0c2b0d3fb02824d92" #', '"ami-0fedcba9876543210" #'));
    expect(((await hclToJson(after)) as { source_ami: string }).source_ami).toBe('ami-0fedcba9876543210');
  });

  it('edits a key of a one-line object, even with a dot in the key', () => {
    const after = hclUpdater.updateContent(pkrvars, 'amis.eu-west-1.build.v2', 'ami-9');
    expect(after).toContain('"eu-west-1" = { base = "ami-0a1b2c3d4e5f60718", "build.v2" = "ami-9" }');
  });
});

describe('hclUpdater.updateContent with create', () => {
  it('adds an attribute after the last attribute of a nested block, indented like it', async () => {
    const path = 'source.amazon-ebs.win2022.launch_block_device_mappings.iops';
    const after = hclUpdater.updateContent(template, path, '3000', { create: true });
    expect(after).toBe(template.replace('= true\n  }\n', '= true\n    iops = "3000"\n  }\n'));
    await expect(after).toMatchFileSnapshot('__snapshots__/windows-2022.create-iops.pkr.hcl');
    expect(() => hclUpdater.verifyEdit(template, after, path, '3000')).not.toThrow();
    expect(await packer(['validate', '-syntax-only'], { 'windows-2022.pkr.hcl': after })).toMatchObject({
      code: 0,
    });
  });

  it('adds after the last attribute of a block that ends with nested blocks, in CRLF', () => {
    const path = 'source.amazon-ebs.win2022.ena_support';
    const after = hclUpdater.updateContent(crlf(template), path, 'true', { create: true });
    const tagsEnd = '    BuiltBy    = "hephestus"\r\n  }\r\n';
    expect(after).toBe(crlf(template).replace(tagsEnd, `${tagsEnd}  ena_support = "true"\r\n`));
  });

  it('adds a top-level attribute to a variables file, with or without a final newline', () => {
    expect(hclUpdater.updateContent(pkrvars, 'owner', 'me', { create: true })).toBe(
      `${pkrvars}owner = "me"\n`,
    );
    const bare = 'region = "us-east-1"';
    expect(hclUpdater.updateContent(bare, 'owner', 'me', { create: true })).toBe(
      'region = "us-east-1"\nowner = "me"',
    );
  });

  it('adds to blocks that have no attributes yet', async () => {
    const text =
      'build {\n  # sources come later\n\n  provisioner "shell" {\n    inline = ["echo"]\n  }\n}\nlocals {}\n';
    let after = hclUpdater.updateContent(text, 'build.name', 'w', { create: true });
    after = hclUpdater.updateContent(after, 'locals.tag', 'x', { create: true });
    expect(after).toBe(
      'build {\n  name = "w"\n  # sources come later\n\n  provisioner "shell" {\n    inline = ["echo"]\n  }\n}\nlocals {\n  tag = "x"\n}\n',
    );
    expect(await hclToJson(after)).toEqual({
      build: [{ name: 'w', provisioner: { shell: [{ inline: ['echo'] }] } }],
      locals: [{ tag: 'x' }],
    });
  });

  it('does not create blocks, object keys, or keys in one-line blocks', () => {
    const create = (text: string, path: string) =>
      editError(() => hclUpdater.updateContent(text, path, 'v', { create: true }));
    expect(create(template, 'variable.ami_owner.default')).toMatchObject({ kind: 'path-not-found' });
    expect(create(template, 'source.amazon-ebs.win2022.tags.Team')).toMatchObject({ kind: 'path-not-found' });
    expect(create('locals { a = 1 }\n', 'locals.b').message).toContain('one-line block');
  });

  it('edits in place when the attribute already exists', () => {
    const after = hclUpdater.updateContent(pkrvars, 'region', 'eu-west-1', { create: true });
    expect(after).toBe(pkrvars.replace('"us-east-1"', '"eu-west-1"'));
  });
});

describe('hclUpdater path errors', () => {
  const update = (text: string, path: string) => editError(() => hclUpdater.updateContent(text, path, 'v'));

  it('names what is missing and what is there', () => {
    const error = update(template, 'source.amazon-ebs.win2022.instance_typ');
    expect(error.kind).toBe('path-not-found');
    expect(error.message).toContain('no attribute or block instance_typ in source.amazon-ebs.win2022');
    expect(update(template, 'variable.ami.default').message).toContain(
      'there is variable.region, variable.source_ami',
    );
    expect(update(template, 'source_ami').message).toContain('at the top level');
  });

  it('reports a path that matches several blocks, with their lines', () => {
    const text =
      'build {\n  provisioner "powershell" {\n    inline = ["a"]\n  }\n  provisioner "powershell" {\n    inline = ["b"]\n  }\n}\n';
    const error = update(text, 'build.provisioner.powershell.inline');
    expect(error.kind).toBe('invalid-path');
    expect(error.message).toContain(
      'build.provisioner.powershell.inline (line 3), build.provisioner.powershell.inline (line 6)',
    );
  });

  it('tells a block, a non-object and a malformed path apart', () => {
    expect(update(template, 'variable.source_ami')).toMatchObject({ kind: 'invalid-path' });
    expect(update(template, 'variable.source_ami.default.x')).toMatchObject({
      kind: 'not-a-container',
      location: { line: 16, column: 3 },
    });
    expect(update(template, 'variable..default')).toMatchObject({ kind: 'invalid-path' });
    expect(update(template, '')).toMatchObject({ kind: 'invalid-path' });
  });

  it('addresses the plain keys of an object that also has computed keys', async () => {
    const text = 'tags = {\n  "${var.env}" = "x"\n  (var.k) = "y"\n  Name = "n"\n}\n';
    const after = hclUpdater.updateContent(text, 'tags.Name', 'm');
    expect(after).toBe(text.replace('"n"', '"m"'));
    expect(await hclToJson(after)).toEqual({ tags: { '${var.env}': 'x', '${(var.k)}': 'y', Name: 'm' } });
    expect(update(text, 'tags.${var.env}')).toMatchObject({ kind: 'path-not-found' });
    expect(update(text, 'tags.${var.env}').message).toContain('there is Name');
  });

  it('reports syntax errors with line and column before looking at the path', () => {
    const broken = template.replace('instance_type = "t3.xlarge"', 'instance_type = "t3.xlarge');
    expect(update(crlf(broken), 'variable.source_ami.default')).toMatchObject({
      kind: 'syntax',
      location: { line: 58, column: 19 },
    });
  });
});

describe('hclUpdater.verifyEdit', () => {
  const path = 'variable.source_ami.default';
  const good = hclUpdater.updateContent(template, path, 'ami-9');
  const verify = (after: string, value = 'ami-9') =>
    editError(() => hclUpdater.verifyEdit(template, after, path, value));

  it('rejects another attribute changed alongside', () => {
    const error = verify(good.replace('"t3.xlarge"', '"t3.large"'));
    expect(error.kind).toBe('verification');
    expect(error.message).toContain('source.amazon-ebs.win2022.instance_type = "t3.xlarge" became');
  });

  it('rejects a wrong value, a non-string, an extra attribute and a broken file', () => {
    expect(verify(good, 'ami-8').message).toContain('not the string "ami-8"');
    expect(verify(template.replace('"ami-0c2b0d3fb02824d92"', 'var.x'), 'var.x').kind).toBe('verification');
    expect(verify(good.replace('  sensitive = true\n', '  sensitive = true\n  nullable = true\n')).kind).toBe(
      'verification',
    );
    expect(verify(good.replace('locals {', 'locals {{')).message).toContain('no longer parses');
  });

  it('accepts changed comments and whitespace, which carry no meaning', () => {
    expect(() =>
      hclUpdater.verifyEdit(template, good.replace('# Dublin', '# Ireland'), path, 'ami-9'),
    ).not.toThrow();
  });
});
