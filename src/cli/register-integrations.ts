/** Registers the integrations subcommands. Each action imports its module lazily, so `hephestus --help` stays light. */
import { type Command, Option } from 'commander';
import { ExitCode } from '../errors.js';
import { type CommonOptions, withCommonOptions as common, runCommand } from './run-command.js';

const CONFIG = [
  '--config <file>',
  'the hephestus configuration (default: hephestus.yml when present)',
] as const;
const DRY_RUN = ['--dry-run', 'show what would change; change nothing'] as const;
const REGION = [
  '--region <region>',
  'AWS region (repeatable or comma-separated; default AWS_REGION)',
] as const;

/** Appends a repeatable option's value. */
function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Appends a repeatable option's value; commas separate several values in one. */
function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

/** Adds `pr`, `notify`, `trigger`, `event` and `ami ...` to `program`. */
export function registerIntegrations(program: Command): void {
  common(
    program
      .command('pr')
      .summary('open, update or close the update pull request of a pushed branch')
      .description(
        'Open or update the pull request of an update branch that is already pushed, or close it (and delete the\n' +
          'branch) when the branch no longer differs from the base. Labels and reviewers come from the configuration;\n' +
          'commits by someone else on the branch are kept. Reports created, updated, unchanged or closed.',
      )
      .option(...CONFIG)
      .option('--branch <branch>', 'the update branch (default: CIRCLE_BRANCH when it is one)')
      .option('--image-set <name>', 'the image set; the branch is then <branch_prefix><name>')
      .option('--base <branch>', 'the base branch (default: git.default_branch)')
      .option('--repository <owner/name>', 'the repository (default: github.repository)')
      .option('--title <text>', 'the pull request title')
      .option('--body <text>', 'the pull request body')
      .option('--draft', 'open the pull request as a draft')
      .option('--pushed', 'this job pushed the branch: report the pull request as updated')
      .option(...DRY_RUN)
      .addHelpText(
        'after',
        `
Examples:
  hephestus pr --branch windows-update/win2022 --json
  hephestus pr --image-set win2022 --title 'Windows images of May' --dry-run`,
      )
      .action(async (options: CommonOptions & import('./pr-command.js').PrOptions) => {
        await runCommand(options, async (context) => {
          const { prCommand } = await import('./pr-command.js');
          await prCommand(options, context);
          return ExitCode.ok;
        });
      }),
  );

  common(
    program
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
      .option(...CONFIG)
      .option(
        '--channel <channel>',
        'a Slack channel, instead of the configured ones (repeatable)',
        collect,
        [],
      )
      .option('--pr <number|url>', 'the pull request (default: CIRCLE_PULL_REQUEST)')
      .option('--repository <owner/name>', 'the repository of the pull request (default: github.repository)')
      .option('--artifacts <file>', 'the AMIs to list: the output of `hephestus packer build --out`')
      .option('--validation <file>', 'the results to list: the output of `hephestus ami validate --json`')
      .option('--promoted-to <channel>', 'rolled-out: the image channel the AMIs now serve')
      .option('--step <name>', 'failed: the step that failed (default: CIRCLE_JOB)')
      .option('--log <file>', 'failed: the log whose last lines are shown (redacted)')
      .option('--job-url <url>', 'failed: the CircleCI job (default: CIRCLE_BUILD_URL)')
      .option('--image <name>', 'failed: the image the step was building')
      .option('--strict', 'exit 1 when any channel failed')
      .option('--dry-run', 'print the message; post nothing')
      .addHelpText(
        'after',
        `
Examples:
  hephestus notify --event update-opened --pr 42 --artifacts packer-artifacts.json --validation validation.json
  hephestus notify --event failed --step 'packer build' --log packer-build.log --channel '#images'
  hephestus notify --event rolled-out --pr 42 --promoted-to stable --strict --json`,
      )
      .action(async (options: CommonOptions & import('./notify-command.js').NotifyOptions) => {
        await runCommand(options, async (context) => {
          const { notifyCommand } = await import('./notify-command.js');
          return notifyCommand(options, context);
        });
      }),
  );

  common(
    program
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
      .option('--dry-run', 'print the request; send nothing')
      .addHelpText(
        'after',
        `
Examples:
  hephestus trigger --project-slug gh/acme/vm-manager --branch main \\
      --parameters '{"images":"win2022=ami-0123456789abcdef0"}' --json
  hephestus trigger --project-slug circleci/9a1b.../4c2d... --definition-id 6f1c2a4e-... --dry-run`,
      )
      .action(async (options: CommonOptions & import('./trigger-command.js').TriggerOptions) => {
        await runCommand(options, async (context) => {
          const { triggerCommand } = await import('./trigger-command.js');
          await triggerCommand(options, context);
          return ExitCode.ok;
        });
      }),
  );

  common(
    program
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
      .option(...CONFIG)
      .option('--trigger-source <value>', 'pipeline.trigger_source (scheduled_pipeline, api, webhook)')
      .option('--trigger-type <value>', 'pipeline.trigger.type (GitHub App pipelines)')
      .option('--schedule-name <name>', 'pipeline.schedule.name')
      .option('--git-branch <branch>', 'pipeline.git.branch')
      .option('--branch <branch>', 'the branch, as CIRCLE_BRANCH')
      .option('--sha <sha>', 'the commit, as CIRCLE_SHA1')
      .option('--pull-request <url>', 'the open pull request, as CIRCLE_PULL_REQUEST')
      .option('--parameters <json>', 'the pipeline parameters given, a JSON object')
      .option('--repository <owner/name>', 'for the pull request lookup (default: github.repository)')
      .option('--default-branch <branch>', 'default: git.default_branch, else main')
      .option('--branch-prefix <prefix>', 'default: git.branch_prefix, else windows-update/')
      .addHelpText(
        'after',
        `
Examples:
  hephestus event --json --trigger-source scheduled_pipeline --schedule-name weekly
  hephestus event --json --git-branch windows-update/win2022
  hephestus event --trigger-source webhook --git-branch main --sha "$CIRCLE_SHA1"   # asks GitHub`,
      )
      .action(async (options: CommonOptions & import('./event-command.js').EventOptions) => {
        await runCommand(options, async (context) => {
          const { eventCommand } = await import('./event-command.js');
          await eventCommand(options, context);
          return ExitCode.ok;
        });
      }),
  );

  registerAmi(program.command('ami').description('find, validate, tag, promote and prune AMIs'));
}

function registerAmi(ami: Command): void {
  common(
    ami
      .command('latest')
      .summary('find the newest base AMI per region')
      .description(
        "Find the newest AMI matching owners and filters in each region, as Packer's amazon-ami data source does\n" +
          '(owners required; only available images). With --image, owners, filters and regions come from its\n' +
          'base_ami in the configuration.',
      )
      .option(...CONFIG)
      .option('--image <name>', "use this configured image's base_ami")
      .option('--owners <ids>', 'account ids or aliases (repeatable or comma-separated)', collectList, [])
      .option(
        '--filter <name=value>',
        'a DescribeImages filter (repeatable), * and ? as wildcards',
        collect,
        [],
      )
      .option(...REGION, collectList, [])
      .addHelpText(
        'after',
        `
Examples:
  hephestus ami latest --owners amazon --filter 'name=Windows_Server-2022-English-Full-Base-*' --region us-east-1
  hephestus ami latest --image win2022 --json`,
      )
      .action(async (options: CommonOptions & import('./ami-command.js').LatestOptions) => {
        await runCommand(options, async (context) => {
          const { amiLatestCommand } = await import('./ami-command.js');
          await amiLatestCommand(options, context);
          return ExitCode.ok;
        });
      }),
  );

  common(
    ami
      .command('validate')
      .summary('boot AMIs, run the smoke tests over SSM, tag the outcome')
      .description(
        'Launch an instance from each AMI (IMDSv2, tagged for sweep), wait for its status checks, "Windows is Ready to\n' +
          'use" and SSM, run the PowerShell smoke tests, and terminate it in every case. Progress (what is awaited,\n' +
          'for how long) goes to standard error. Tags the AMIs validated or failed and writes JUnit XML for\n' +
          "CircleCI's Tests tab. Exit 1 when any AMI failed.",
      )
      .option(...CONFIG)
      .option('--ami <id>', 'an AMI to validate (repeatable)', collect, [])
      .option(...REGION, collectList, [])
      .option('--artifacts <file>', 'validate every build of `hephestus packer build --out` instead')
      .option('--image <name>', 'with --ami: the configured image whose smoke tests to run')
      .option(
        '--smoke-test <file>',
        'a PowerShell smoke test (repeatable; default: the configured ones)',
        collect,
        [],
      )
      .option('--instance-type <type>', 'default: validation.instance_type, else t3.large')
      .option('--subnet <id>', 'default: validation.subnet_id')
      .option('--security-group <id>', 'repeatable; default: validation.security_group_ids', collect, [])
      .option('--instance-profile <name>', 'with SSM permissions; default: validation.instance_profile')
      .option('--timeout-minutes <n>', 'the whole validation; default: validation.timeout_minutes, else 45')
      .option('--junit <file>', 'write the smoke tests as JUnit XML')
      .option('--no-tag', 'do not tag the AMIs validated or failed')
      .option('--dry-run', 'list what would be validated; launch nothing')
      .addHelpText(
        'after',
        `
Examples:
  hephestus ami validate --ami ami-0123456789abcdef0 --region us-east-1 --smoke-test tests/smoke.ps1 --junit out.xml
  hephestus ami validate --artifacts packer-artifacts.json --junit test-results/smoke-tests.xml --json`,
      )
      .action(async (options: CommonOptions & import('./ami-command.js').ValidateOptions) => {
        await runCommand(options, async (context) => {
          const { amiValidateCommand } = await import('./ami-command.js');
          return amiValidateCommand(options, context);
        });
      }),
  );

  common(
    ami
      .command('tag')
      .summary("put Hephestus's tags on AMIs and their snapshots")
      .description('Tag AMIs and each of their snapshots, region by region, with the hephestus:* tags given.')
      .option('--ami <id>', 'an AMI (repeatable)', collect, [])
      .option(...REGION, collectList, [])
      .option('--artifacts <file>', 'tag every AMI of `hephestus packer build --out` instead')
      .option('--status <status>', 'hephestus:status: built, validated or failed')
      .option('--image <name>', 'hephestus:image')
      .option('--run <id>', 'hephestus:run')
      .option('--git-sha <sha>', 'hephestus:git-sha')
      .option('--branch <branch>', 'hephestus:branch')
      .option('--input-hash <hash>', 'hephestus:input-hash')
      .option(...DRY_RUN)
      .addHelpText(
        'after',
        `
Examples:
  hephestus ami tag --ami ami-0123456789abcdef0 --region us-east-1 --status validated
  hephestus ami tag --artifacts packer-artifacts.json --status built --image win2022 --run "$CIRCLE_WORKFLOW_ID"`,
      )
      .action(async (options: CommonOptions & import('./ami-command.js').TagOptions) => {
        await runCommand(options, async (context) => {
          const { amiTagCommand } = await import('./ami-command.js');
          await amiTagCommand(options, context);
          return ExitCode.ok;
        });
      }),
  );

  common(
    ami
      .command('promote')
      .summary('move an image set into a channel, or roll a channel back')
      .description(
        'Move an image set into --channel in each region: the AMIs given, else the image holding the channel before\n' +
          'it (for the first channel, the newest validated image). Only validated images move. --rollback points the\n' +
          'channel back at the image it held before.',
      )
      .option(...CONFIG)
      .requiredOption('--image <name>', 'the image set (hephestus:image)')
      .requiredOption('--channel <channel>', 'the channel to move into (or roll back)')
      .option(
        '--ami <id>',
        'the AMI to promote, one per --region in the same order (repeatable)',
        collect,
        [],
      )
      .option(...REGION, collectList, [])
      .option(
        '--channels <list>',
        'the channel order (default: channels, else canary,edge,stable)',
        collectList,
      )
      .option('--allow-unvalidated', 'promote images not tagged validated')
      .option('--rollback', 'point the channel back at its previous image')
      .option(...DRY_RUN)
      .addHelpText(
        'after',
        `
Examples:
  hephestus ami promote --image win2022 --channel canary --region us-east-1 --dry-run
  hephestus ami promote --image win2022 --channel stable --json
  hephestus ami promote --image win2022 --channel stable --rollback`,
      )
      .action(async (options: CommonOptions & import('./ami-command.js').PromoteOptions) => {
        await runCommand(options, async (context) => {
          const { amiPromoteCommand } = await import('./ami-command.js');
          await amiPromoteCommand(options, context);
          return ExitCode.ok;
        });
      }),
  );

  common(
    ami
      .command('prune')
      .summary('deregister old AMIs and delete their snapshots')
      .description(
        'Keep the newest --keep images per image set and channel; deregister the others and delete their snapshots.\n' +
          'Never removed: an image holding a channel, one created or launched within --protect-days, one an\n' +
          'instance runs from or a launch template names.',
      )
      .option(...CONFIG)
      .option('--keep <n>', 'images kept per image set and channel (default: keep, else 3)')
      .option('--image <name>', 'only this image set')
      .option(...REGION, collectList, [])
      .option('--protect-days <n>', 'keep images created or launched this recently', '14')
      .option(
        '--skip-launch-templates',
        'do not read launch templates (only where none can name these images)',
      )
      .option('--dry-run', 'list what would go; delete nothing')
      .addHelpText(
        'after',
        `
Examples:
  hephestus ami prune --keep 3 --region us-east-1 --dry-run
  hephestus ami prune --image win2022 --json`,
      )
      .action(async (options: CommonOptions & import('./ami-command.js').PruneCliOptions) => {
        await runCommand(options, async (context) => {
          const { amiPruneCommand } = await import('./ami-command.js');
          await amiPruneCommand(options, context);
          return ExitCode.ok;
        });
      }),
  );

  common(
    ami
      .command('sweep')
      .summary('terminate validation instances a killed job left behind')
      .description(
        'Terminate instances tagged by a validation run that outlived its timeout (tagged on the instance) plus a\n' +
          'grace period.',
      )
      .option(...CONFIG)
      .option(...REGION, collectList, [])
      .option('--grace-minutes <n>', 'added to each run’s timeout', '10')
      .option('--default-timeout-minutes <n>', 'for instances without a timeout tag', '240')
      .option('--dry-run', 'list what would be terminated; terminate nothing')
      .addHelpText(
        'after',
        `
Examples:
  hephestus ami sweep --region us-east-1 --region us-west-2 --dry-run
  hephestus ami sweep --json`,
      )
      .action(async (options: CommonOptions & import('./ami-command.js').SweepCliOptions) => {
        await runCommand(options, async (context) => {
          const { amiSweepCommand } = await import('./ami-command.js');
          await amiSweepCommand(options, context);
          return ExitCode.ok;
        });
      }),
  );
}
