/** Registers `hephestus run <flow>`; the flow runner (run-flow-command.ts) and the flow load when it runs. */
import { Argument, type Command, Option } from 'commander';
import type { FlowOptions } from '../../flows/flow-context.js';
import { FLOW_NAMES } from '../../flows/flow-report.js';
import { sharedOption, withCommonOptions } from '../common-options.js';
import { type CommonOptions, runCommand } from '../run-command.js';

const HELP_AFTER = `
Flows:
  open-update     newest base AMIs vs the pins; bump them on <prefix><image-set>, open/update the PR
  build-validate  on a PR branch: packer build of the images whose inputs changed, tag, validate, comment
  promote         after a PR merged: promote its validated AMIs, record them in the lock file, start consumers
  bump-consumer   in a consumer: edit bump.files to the new AMIs (--images, or bump.source: lock), open/update its PR
  announce        after the consumer PR merged: next channel (if any), rollout notice
  monitor         scheduled: report each open update PR (checks, reviews, mergeable, validation); merge the
                  green ones (monitor.auto_merge); one Slack reminder for a PR older than monitor.stale_after_days
  check-lock      on every PR: each AMI the lock file names exists and is tagged validated (else exit 1)
  revoke          by hand: take --image's AMIs (--ami, else the first channel's) out of service: tag and disable
                  them, roll their channels back, record it in the lock file, roll consumers back, notify

Exit codes: 0 done (including "nothing to do"), 1 a build or validation failed or the update branch carries
someone else's commits, 2 bad input or configuration.

Examples:
  hephestus run open-update --repo acme/windows-images --json
  hephestus run build-validate --repo acme/windows-images --branch windows-update/win2019-win2022
  hephestus run promote --repo acme/windows-images --sha "$CIRCLE_SHA1"
  hephestus run bump-consumer --repo acme/vm-manager --images '{"win2022":{"us-east-1":"ami-0123456789abcdef0"}}'
  hephestus run announce --repo acme/vm-manager --sha "$CIRCLE_SHA1" --dry-run
  hephestus run monitor --repo acme/windows-images --json
  hephestus run check-lock --repo acme/windows-images --branch "$CIRCLE_BRANCH"
  hephestus run revoke --repo acme/windows-images --image win2022 --reason "KB5034441 breaks RDP" --dry-run`;

/** Adds `run <open-update|build-validate|promote|bump-consumer|announce|monitor|check-lock|revoke>` to `program`. */
export function register(program: Command): void {
  const run = program
    .command('run')
    .summary('run one step of the windows-update lifecycle')
    .description(
      'Run one flow of the lifecycle on a repository. The flow clones the repository itself (HTTPS from\n' +
        'GITHUB_SERVER_URL with GITHUB_TOKEN) and reads hephestus.yml from the clone, so it runs the same in\n' +
        'CircleCI and on a workstation. Every flow is idempotent: a re-run leaves one branch, one pull\n' +
        'request, one Slack message per event and the same tags.',
    )
    // A flow not in the list is a usage error (exit 2), reported by commander with the choices.
    .addArgument(new Argument('<flow>', 'the flow to run').choices(FLOW_NAMES))
    // Not the shared --config: a flow reads its configuration from the clone, so this path is inside it.
    .option('--config <file>', 'the configuration, relative to the repository root', 'hephestus.yml')
    .option(
      '--repo <owner/name>',
      'the repository (default: CIRCLE_PROJECT_USERNAME/CIRCLE_PROJECT_REPONAME)',
    )
    .option('--branch <branch>', 'the branch (default: CIRCLE_BRANCH)')
    .option('--sha <sha>', 'the commit that was pushed (default: CIRCLE_SHA1)')
    .option(
      '--images <images>',
      'image names (win2022,win2019); for bump-consumer the new AMIs: JSON {"win2022":{"us-east-1":"ami-..."}} or win2022=ami-...',
    )
    .option(
      '--force',
      'open-update: open the update even when no pin is older (every pin current: a rebuild of the images, which ' +
        'build-validate builds again); promote: trigger again',
    )
    .addOption(
      sharedOption(
        'dryRun',
        'write nothing (no push, PR, comment, tag, build or Slack post); say what would be done',
      ),
    )
    .addOption(new Option('--junit <file>', 'build-validate: write the smoke-test results as JUnit XML'))
    .addOption(
      new Option('--artifacts <dir>', 'build-validate: keep the packer log and parsed artifacts here'),
    )
    .addOption(
      new Option(
        '--via <path>',
        'bump-consumer: commit in a clone pushed with git, or through the GitHub API (no clone, four writes)',
      )
        .choices(['clone', 'api'])
        .default('clone'),
    )
    .addOption(new Option('--image <name>', 'revoke: the image set to revoke'))
    .addOption(
      new Option(
        '--ami <id>',
        'revoke: an AMI to revoke (repeat for each region); default: the image set the first channel holding one holds',
      ).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .addOption(
      new Option(
        '--reason <text>',
        'revoke: why (at most 256 characters; tags, lock file, notice, consumer PRs)',
      ),
    )
    .addOption(
      new Option(
        '--rollback-reason <text>',
        "bump-consumer: revoke's reason; the update is worded as a rollback",
      ),
    )
    .addOption(
      new Option('--rollback-url <url>', "bump-consumer: with --rollback-reason, the revoke job's URL"),
    );
  withCommonOptions(run)
    .addHelpText('after', HELP_AFTER)
    .action(async (flow: string, options: CommonOptions & FlowOptions) => {
      await runCommand(options, async (context) => {
        const { runFlowCommand } = await import('./run-flow-command.js');
        return runFlowCommand(flow, options, context);
      });
    });
}
