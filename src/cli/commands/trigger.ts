/** Registers `hephestus trigger`; its handler (trigger-command.ts, with the CircleCI client) loads when it runs. */
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { sharedOption, withCommonOptions } from '../common-options.js';
import { type CommonOptions, runCommand } from '../run-command.js';
import type { TriggerOptions } from './trigger-command.js';

/** Adds `trigger` to `program`. */
export function register(program: Command): void {
  const trigger = program
    .command('trigger')
    .summary('trigger a pipeline in another CircleCI project')
    .description(
      'Trigger a pipeline in another CircleCI project with pipeline parameters (POST /api/v2/project/{slug}/pipeline,\n' +
        'or .../pipeline/run with --definition-id for GitHub App projects). The parameters are checked against\n' +
        "CircleCI's limits (100 entries, names up to 128 and values up to 512 characters) before anything is sent.\n" +
        'The token comes from CIRCLE_TOKEN (or CCI_PASSWORD).',
    )
    .requiredOption('--project-slug <slug>', 'the project, e.g. gh/acme/vm-manager')
    .option('--branch <branch>', "the branch to run on (default: the project's default branch)")
    .option('--tag <tag>', 'the tag to run on, instead of a branch')
    .option('--definition-id <uuid>', 'the pipeline definition to run (GitHub App projects)')
    .option('--parameters <json>', 'the pipeline parameters, a JSON object', '{}')
    .addOption(sharedOption('dryRun', 'print the request; send nothing'));
  withCommonOptions(trigger)
    .addHelpText(
      'after',
      `
Examples:
  hephestus trigger --project-slug gh/acme/vm-manager --branch main \\
      --parameters '{"images":"win2022=ami-0123456789abcdef0"}' --json
  hephestus trigger --project-slug circleci/9a1b.../4c2d... --definition-id 6f1c2a4e-... --dry-run`,
    )
    .action(async (options: CommonOptions & TriggerOptions) => {
      await runCommand(options, async (context) => {
        const { triggerCommand } = await import('./trigger-command.js');
        await triggerCommand(options, context);
        return ExitCode.ok;
      });
    });
}
