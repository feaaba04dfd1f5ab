/** Registers `hephestus config check|generate`; each handler loads when its command runs. */
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { withCommonOptions } from '../common-options.js';
import { type CommonOptions, runCommand } from '../run-command.js';
import type { ConfigGenerateOptions } from './config-generate-command.js';

/** Adds the `config` group to `program`. */
export function register(program: Command): void {
  const config = program
    .command('config')
    .description('check hephestus.yml, and generate CircleCI configuration for an event');
  registerCheck(config);
  registerGenerate(config);
}

function registerCheck(config: Command): void {
  const check = config
    .command('check')
    .description(
      'validate hephestus.yml and the repository it names: templates, variable files and smoke tests exist, each\n' +
        'pin and bump path resolves in its file, each Packer build is in its template, regions are AWS regions\n' +
        '(exit 2 with file:line:column, the setting and a fix for every problem)',
    )
    .argument('[file]', 'the configuration file', 'hephestus.yml')
    .option(
      '--root <dir>',
      "the repository root the configuration's paths are relative to (default: the git work tree holding the file)",
    );
  withCommonOptions(check).action(async (file: string, options: CommonOptions & { root?: string }) => {
    await runCommand(options, async (context) => {
      const { configCheckCommand } = await import('./config-command.js');
      await configCheckCommand(file, options.root, context);
      return ExitCode.ok;
    });
  });
}

function registerGenerate(config: Command): void {
  const generate = config
    .command('generate')
    .summary('write the CircleCI continuation configuration for one classified event')
    .description(
      'Write the configuration a setup (dynamic config) pipeline continues with: one workflow that runs exactly ' +
        "the hephestus orb's job for the event: scheduled runs open_update and monitor, monitor runs monitor, " +
        'manual runs open_update with its images and force parameters, update-branch-push runs build_validate ' +
        'and check_lock, update-merged runs promote, and ' +
        'other runs a job that only says there is nothing to do. Exit 2 on an unknown event or a bad parameter.',
    )
    .requiredOption(
      '--event <kind|file>',
      'the event kind (scheduled, monitor, manual, update-branch-push, update-merged, other), or the JSON file `hephestus event --json` wrote',
    )
    .option('--out <file>', 'write the configuration to this file instead of standard output')
    .option('--orb-version <version>', 'the hephestus orb version to import (default: this CLI’s version)')
    .option('--context <name>', 'the CircleCI context the job runs with', 'hephestus');
  withCommonOptions(generate)
    .addHelpText(
      'after',
      `
Examples:
  hephestus config generate --event scheduled --orb-version 1.2.3
  hephestus event --json > event.json && hephestus config generate --event event.json --out continue.yml`,
    )
    .action(async (options: CommonOptions & ConfigGenerateOptions) => {
      await runCommand(options, async (context) => {
        const { configGenerateCommand } = await import('./config-generate-command.js');
        await configGenerateCommand(options, context);
        return ExitCode.ok;
      });
    });
}
