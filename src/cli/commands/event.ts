/** Registers `hephestus event`; its handler (event-command.ts) loads when it runs. */
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { sharedOption, withCommonOptions } from '../common-options.js';
import { type CommonOptions, runCommand } from '../run-command.js';
import type { EventOptions } from './event-command.js';

/** Adds `event` to `program`. */
export function register(program: Command): void {
  const event = program
    .command('event')
    .summary('classify what started the pipeline')
    .description(
      'Classify the event the job runs in: scheduled (the windows-update schedule), monitor (the\n' +
        'windows-update-monitor schedule), manual (an API trigger with parameters), update-branch-push (a push to\n' +
        'any branch but the default one), update-merged (a PR merged into it) or other, with the reasons.\n' +
        "Reads CircleCI's environment (CIRCLE_BRANCH, CIRCLE_SHA1,\n" +
        'CIRCLE_PULL_REQUEST, PARAM_*) and the flags, which win. Offline, except for a push to the default branch:\n' +
        'then GitHub is asked which pull request the commit came from (GITHUB_TOKEN).',
    )
    .addOption(sharedOption('config'))
    .option('--trigger-source <value>', 'pipeline.trigger_source (scheduled_pipeline, api, webhook)')
    .option('--trigger-type <value>', 'pipeline.trigger.type (GitHub App pipelines)')
    .option('--schedule-name <name>', 'pipeline.schedule.name')
    .option('--git-branch <branch>', 'pipeline.git.branch')
    .option('--branch <branch>', 'the branch, as CIRCLE_BRANCH')
    .option('--sha <sha>', 'the commit, as CIRCLE_SHA1')
    .option('--pull-request <url>', 'the open pull request, as CIRCLE_PULL_REQUEST')
    .option('--parameters <json>', 'the pipeline parameters given, a JSON object')
    .addOption(sharedOption('repository', 'for the pull request lookup (default: github.repository)'))
    .option('--default-branch <branch>', 'default: git.default_branch, else main')
    .option('--branch-prefix <prefix>', 'default: git.branch_prefix, else windows-update/');
  withCommonOptions(event)
    .addHelpText(
      'after',
      `
Examples:
  hephestus event --json --trigger-source scheduled_pipeline --schedule-name weekly
  hephestus event --json --git-branch windows-update/win2022
  hephestus event --trigger-source webhook --git-branch main --sha "$CIRCLE_SHA1"   # asks GitHub`,
    )
    .action(async (options: CommonOptions & EventOptions) => {
      await runCommand(options, async (context) => {
        const { eventCommand } = await import('./event-command.js');
        await eventCommand(options, context);
        return ExitCode.ok;
      });
    });
}
