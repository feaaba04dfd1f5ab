/** Registers `hephestus edit`; its handler (edit-command.ts, with the format parsers) loads when it runs. */
import { type Command, Option } from 'commander';
import { ExitCode } from '../../errors.js';
import { sharedOption, withCommonOptions } from '../common-options.js';
import { type CommonOptions, runCommand } from '../run-command.js';
import type { EditOptions } from './edit-command.js';

const FORMATS = ['edn', 'yaml', 'json', 'hcl'];

const HELP_AFTER = `
Paths:
  EDN        an EDN vector of keys; keywords and strings differ, integers index vectors,
             tagged literals (#profile {...}) are looked through:
               '[:vm-manager :images "aws" "windows-server-2022"]'
  YAML, JSON a JSON Pointer (RFC 6901):  /variables/source_ami   /builders/0/ami_regions/1
  HCL        top-level attribute, or block type, labels and attribute joined by dots:
               source_ami   variable.source_ami.default   source.amazon-ebs.win2022.instance_type

Examples:
  hephestus edit resources/config.edn --path '[:images :win2022]' --value ami-0123456789abcdef0
  hephestus edit packer/windows.auto.pkrvars.hcl --path win2022_source_ami --value ami-0123456789abcdef0 --dry-run
  hephestus edit chart/templates/configmap.yaml --path /data/config.edn \\
      --embedded edn --inner-path '[:images :win2022]' --value ami-0123456789abcdef0`;

/** Adds `edit <file>` to `program`. */
export function register(program: Command): void {
  const edit = program
    .command('edit')
    .summary('change one value in an EDN, YAML, JSON or HCL file, byte-for-byte')
    .description(
      'Change one value in a file that people also edit by hand. Only the bytes of the old value change: comments,\n' +
        'whitespace, key order, CRLF line endings and a BOM stay as they are. The result is re-parsed and checked\n' +
        'before it is written, and the write is atomic; on any error the file is left untouched (exit 2).',
    )
    .argument('<file>', 'the file to edit')
    .requiredOption('--path <path>', "where the value is, in the format's own terms (see below)")
    .requiredOption('--value <string>', "the new value, written as a string in the file's syntax")
    .addOption(
      new Option('--format <format>', 'the file format, when the extension does not tell').choices(FORMATS),
    )
    .addOption(
      new Option(
        '--embedded <format>',
        'the value at --path is a string holding a document of this format',
      ).choices(FORMATS),
    )
    .option('--inner-path <path>', 'with --embedded: the path inside the embedded document')
    .option('--create', 'add the key when it is missing and its parent map exists')
    .option(
      '--root <dir>',
      'refuse a file that resolves (through links) outside this directory, e.g. the repository',
    )
    .addOption(sharedOption('dryRun', 'show the change as a diff; write nothing'));
  withCommonOptions(edit)
    .addHelpText('after', HELP_AFTER)
    .action(async (file: string, options: CommonOptions & EditOptions) => {
      await runCommand(options, async (context) => {
        const { editCommand } = await import('./edit-command.js');
        await editCommand(file, options, context);
        return ExitCode.ok;
      });
    });
}
