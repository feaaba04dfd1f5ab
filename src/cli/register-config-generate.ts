/** Registers the config-generate subcommands. Each action imports its module lazily, so `hephestus --help` stays light. */
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { type CommonOptions, runCommand, withCommonOptions } from './run-command.js';

/** Adds `generate` to the `config` command group. */
export function registerConfigGenerate(config: Command): void {
  withCommonOptions(
    config
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
      .option('--context <name>', 'the CircleCI context the job runs with', 'hephestus')
      .addHelpText(
        'after',
        `
Examples:
  hephestus config generate --event scheduled --orb-version 1.2.3
  hephestus event --json > event.json && hephestus config generate --event event.json --out continue.yml`,
      )
      .action(
        async (options: CommonOptions & import('./config-generate-command.js').ConfigGenerateOptions) => {
          await runCommand(options, async (context) => {
            const { configGenerateCommand } = await import('./config-generate-command.js');
            await configGenerateCommand(options, context);
            return ExitCode.ok;
          });
        },
      ),
  );
}
