/** Registers `hephestus notify`; its handler (notify-command.ts, with the Slack client) loads when it runs. */
import { type Command, Option } from 'commander';
import { collect, sharedOption, withCommonOptions } from '../common-options.js';
import { type CommonOptions, runCommand } from '../run-command.js';
import type { NotifyOptions } from './notify-command.js';

/** Adds `notify` to `program`. */
export function register(program: Command): void {
  const notify = program
    .command('notify')
    .summary('post or update the Slack notice of an event')
    .description(
      'Post the Slack notice of an event to its channels (slack.channels in the configuration, or --channel), or\n' +
        'update the one posted earlier for the same pull request and event (remembered in a hidden PR comment).\n' +
        'A Slack failure is reported and exits 0, unless --strict (or slack.strict): a notice never fails a rollout.',
    )
    .addOption(
      new Option('--event <event>', 'the notice')
        .choices(['update-opened', 'ready-to-merge', 'rolled-out', 'failed'])
        .makeOptionMandatory(),
    )
    .addOption(sharedOption('config'))
    .option(
      '--channel <channel>',
      'a Slack channel, instead of the configured ones (repeatable)',
      collect,
      [],
    )
    .option('--pr <number|url>', 'the pull request (default: CIRCLE_PULL_REQUEST)')
    .addOption(sharedOption('repository', 'the repository of the pull request (default: github.repository)'))
    .option('--artifacts <file>', 'the AMIs to list: the output of `hephestus packer build --out`')
    .option('--validation <file>', 'the results to list: the output of `hephestus ami validate --json`')
    .option('--promoted-to <channel>', 'rolled-out: the image channel the AMIs now serve')
    .option('--step <name>', 'failed: the step that failed (default: CIRCLE_JOB)')
    .option('--log <file>', 'failed: the log whose last lines are shown (redacted)')
    .option('--job-url <url>', 'failed: the CircleCI job (default: CIRCLE_BUILD_URL)')
    .option('--image <name>', 'failed: the image the step was building')
    .option('--strict', 'exit 1 when any channel failed')
    .addOption(sharedOption('dryRun', 'print the message; post nothing'));
  withCommonOptions(notify)
    .addHelpText(
      'after',
      `
Examples:
  hephestus notify --event update-opened --pr 42 --artifacts packer-artifacts.json --validation validation.json
  hephestus notify --event failed --step 'packer build' --log packer-build.log --channel '#images'
  hephestus notify --event rolled-out --pr 42 --promoted-to stable --strict --json`,
    )
    .action(async (options: CommonOptions & NotifyOptions) => {
      await runCommand(options, async (context) => {
        const { notifyCommand } = await import('./notify-command.js');
        return notifyCommand(options, context);
      });
    });
}
