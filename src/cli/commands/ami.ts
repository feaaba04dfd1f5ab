/**
 * Registers `hephestus ami latest|validate|tag|promote|prune|sweep`. Each handler is its own module
 * (ami-<name>-command.ts), loaded with the AWS SDK only when its command runs.
 */
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { collect, collectList, sharedOption, withCommonOptions } from '../common-options.js';
import { type CommonOptions, runCommand } from '../run-command.js';
import type { LatestOptions } from './ami-latest-command.js';
import type { PromoteOptions } from './ami-promote-command.js';
import type { PruneCliOptions } from './ami-prune-command.js';
import type { SweepCliOptions } from './ami-sweep-command.js';
import type { TagOptions } from './ami-tag-command.js';
import type { ValidateOptions } from './ami-validate-command.js';

/** Adds the `ami` group to `program`. */
export function register(program: Command): void {
  const ami = program.command('ami').description('find, validate, tag, promote and prune AMIs');
  for (const add of [latest, validate, tag, promote, prune, sweep]) add(ami);
}

/** `--help` ends with these examples. */
function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  ${line}`).join('\n')}`;
}

function latest(ami: Command): void {
  const command = ami
    .command('latest')
    .summary('find the newest base AMI per region')
    .description(
      "Find the newest AMI matching owners and filters in each region, as Packer's amazon-ami data source does\n" +
        '(owners required; only available images), or the AMI a public SSM parameter names in each region.\n' +
        'With --image, the parameter (or owners and filters) and regions come from its base_ami in the configuration.',
    )
    .addOption(sharedOption('config'))
    .option('--image <name>', "use this configured image's base_ami")
    .option('--owners <ids>', 'account ids or aliases (repeatable or comma-separated)', collectList, [])
    .option(
      '--filter <name=value>',
      'a DescribeImages filter (repeatable), * and ? as wildcards',
      collect,
      [],
    )
    .option('--ssm-parameter <name>', 'a public SSM parameter naming the AMI, instead of owners and filters')
    .addOption(sharedOption('region'));
  withCommonOptions(command)
    .addHelpText(
      'after',
      examples(
        "hephestus ami latest --owners amazon --filter 'name=Windows_Server-2022-English-Full-Base-*' --region us-east-1",
        'hephestus ami latest --ssm-parameter /aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base',
        'hephestus ami latest --image win2022 --json',
      ),
    )
    .action(async (options: CommonOptions & LatestOptions) => {
      await runCommand(options, async (context) => {
        const { amiLatestCommand } = await import('./ami-latest-command.js');
        await amiLatestCommand(options, context);
        return ExitCode.ok;
      });
    });
}

function validate(ami: Command): void {
  const command = ami
    .command('validate')
    .summary('boot AMIs, run the smoke tests over SSM, tag the outcome')
    .description(
      'Launch an instance from each AMI (IMDSv2, tagged for sweep), wait for its status checks, "Windows is Ready to\n' +
        'use" and SSM, run the PowerShell smoke tests, and terminate it in every case. Progress (what is awaited,\n' +
        'for how long) goes to standard error. Tags the AMIs validated or failed and writes JUnit XML for\n' +
        "CircleCI's Tests tab. Exit 1 when any AMI failed.",
    )
    .addOption(sharedOption('config'))
    .option('--ami <id>', 'an AMI to validate (repeatable)', collect, [])
    .addOption(sharedOption('region'))
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
    .addOption(sharedOption('dryRun', 'list what would be validated; launch nothing'));
  withCommonOptions(command)
    .addHelpText(
      'after',
      examples(
        'hephestus ami validate --ami ami-0123456789abcdef0 --region us-east-1 --smoke-test tests/smoke.ps1 --junit out.xml',
        'hephestus ami validate --artifacts packer-artifacts.json --junit test-results/smoke-tests.xml --json',
      ),
    )
    .action(async (options: CommonOptions & ValidateOptions) => {
      await runCommand(options, async (context) => {
        const { amiValidateCommand } = await import('./ami-validate-command.js');
        return amiValidateCommand(options, context);
      });
    });
}

function tag(ami: Command): void {
  const command = ami
    .command('tag')
    .summary("put Hephestus's tags on AMIs and their snapshots")
    .description('Tag AMIs and each of their snapshots, region by region, with the hephestus:* tags given.')
    .option('--ami <id>', 'an AMI (repeatable)', collect, [])
    .addOption(sharedOption('region'))
    .option('--artifacts <file>', 'tag every AMI of `hephestus packer build --out` instead')
    .option('--status <status>', 'hephestus:status: built, validated or failed')
    .option('--image <name>', 'hephestus:image')
    .option('--run <id>', 'hephestus:run')
    .option('--git-sha <sha>', 'hephestus:git-sha')
    .option('--branch <branch>', 'hephestus:branch')
    .option('--input-hash <hash>', 'hephestus:input-hash')
    .addOption(sharedOption('dryRun'));
  withCommonOptions(command)
    .addHelpText(
      'after',
      examples(
        'hephestus ami tag --ami ami-0123456789abcdef0 --region us-east-1 --status validated',
        'hephestus ami tag --artifacts packer-artifacts.json --status built --image win2022 --run "$CIRCLE_WORKFLOW_ID"',
      ),
    )
    .action(async (options: CommonOptions & TagOptions) => {
      await runCommand(options, async (context) => {
        const { amiTagCommand } = await import('./ami-tag-command.js');
        await amiTagCommand(options, context);
        return ExitCode.ok;
      });
    });
}

function promote(ami: Command): void {
  const command = ami
    .command('promote')
    .summary('move an image set into a channel, or roll a channel back')
    .description(
      'Move an image set into --channel in each region: the AMIs given, else the image holding the channel before\n' +
        'it (for the first channel, the newest validated image). Only validated images move. --rollback points the\n' +
        'channel back at the image it held before.',
    )
    .addOption(sharedOption('config'))
    .requiredOption('--image <name>', 'the image set (hephestus:image)')
    .requiredOption('--channel <channel>', 'the channel to move into (or roll back)')
    .option('--ami <id>', 'the AMI to promote, one per --region in the same order (repeatable)', collect, [])
    .addOption(sharedOption('region'))
    .option(
      '--channels <list>',
      'the channel order (default: channels, else canary,edge,stable)',
      collectList,
    )
    .option('--allow-unvalidated', 'promote images not tagged validated')
    .option('--rollback', 'point the channel back at its previous image')
    .addOption(sharedOption('dryRun'));
  withCommonOptions(command)
    .addHelpText(
      'after',
      examples(
        'hephestus ami promote --image win2022 --channel canary --region us-east-1 --dry-run',
        'hephestus ami promote --image win2022 --channel stable --json',
        'hephestus ami promote --image win2022 --channel stable --rollback',
      ),
    )
    .action(async (options: CommonOptions & PromoteOptions) => {
      await runCommand(options, async (context) => {
        const { amiPromoteCommand } = await import('./ami-promote-command.js');
        await amiPromoteCommand(options, context);
        return ExitCode.ok;
      });
    });
}

function prune(ami: Command): void {
  const command = ami
    .command('prune')
    .summary('deprecate old AMIs, later deregister them and delete their snapshots')
    .description(
      'Keep the newest --keep images per image set and channel; deprecate the others (EC2 deprecation, --grace-days\n' +
        'ahead) and, on a run after that time, deregister them and delete their snapshots. Never removed: an image\n' +
        'holding a channel, one created or launched within --protect-days, one an instance runs from or a launch\n' +
        'template names, one under deregistration protection.',
    )
    .addOption(sharedOption('config'))
    .option('--keep <n>', 'images kept per image set and channel (default: keep, else 3)')
    .option('--image <name>', 'only this image set')
    .addOption(sharedOption('region'))
    .option('--protect-days <n>', 'keep images created or launched this recently', '14')
    .option(
      '--grace-days <n>',
      'days an image stays deprecated before it is deregistered (default: deprecation_grace_days, else 7)',
    )
    .option('--skip-launch-templates', 'do not read launch templates (only where none can name these images)')
    .addOption(sharedOption('dryRun', 'list what would be deprecated or deregistered; change nothing'));
  withCommonOptions(command)
    .addHelpText(
      'after',
      examples(
        'hephestus ami prune --keep 3 --region us-east-1 --dry-run',
        'hephestus ami prune --image win2022 --json',
      ),
    )
    .action(async (options: CommonOptions & PruneCliOptions) => {
      await runCommand(options, async (context) => {
        const { amiPruneCommand } = await import('./ami-prune-command.js');
        await amiPruneCommand(options, context);
        return ExitCode.ok;
      });
    });
}

function sweep(ami: Command): void {
  const command = ami
    .command('sweep')
    .summary('terminate validation instances a killed job left behind')
    .description(
      'Terminate instances tagged by a validation run that outlived its timeout (tagged on the instance) plus a\n' +
        'grace period.',
    )
    .addOption(sharedOption('config'))
    .addOption(sharedOption('region'))
    .option('--grace-minutes <n>', 'added to each run’s timeout', '10')
    .option('--default-timeout-minutes <n>', 'for instances without a timeout tag', '240')
    .addOption(sharedOption('dryRun', 'list what would be terminated; terminate nothing'));
  withCommonOptions(command)
    .addHelpText(
      'after',
      examples(
        'hephestus ami sweep --region us-east-1 --region us-west-2 --dry-run',
        'hephestus ami sweep --json',
      ),
    )
    .action(async (options: CommonOptions & SweepCliOptions) => {
      await runCommand(options, async (context) => {
        const { amiSweepCommand } = await import('./ami-sweep-command.js');
        await amiSweepCommand(options, context);
        return ExitCode.ok;
      });
    });
}
