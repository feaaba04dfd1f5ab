/**
 * `hephestus sandbox up` and `hephestus demo`: the commands of the stand-in world. src/cli.ts registers them
 * and is the one product file that imports the sandbox, through this module only; the handlers (and the
 * sandbox's services) load when one of these commands runs, so no other command carries any of it.
 *
 * The only sandbox module that imports product code, and only the CLI's plumbing: the command runner and errors.
 */
import type { Command } from 'commander';
import { type CommonOptions, runCommand } from '../cli/run-command.js';
import { ExitCode } from '../errors.js';
import type { SandboxUpOptions } from './sandbox-command.js';

/** Adds `sandbox up` and `demo` to `program`. */
export function register(program: Command): void {
  registerSandboxUp(
    program.command('sandbox').description('the local stand-in for GitHub, Slack, CircleCI, EC2 and SSM'),
  );
  registerDemo(program);
}

function registerSandboxUp(sandbox: Command): void {
  sandbox
    .command('up')
    .description(
      'Start the sandbox on loopback ports, seed its repositories, print the endpoints and the environment to export,\n' +
        'and stay up until interrupted. For trying hephestus, the AWS SDK, git or Packer without any account.',
    )
    .option('--dir <dir>', 'keep the sandbox state (bare repositories) in this directory')
    .option(
      '--aws-time-scale <factor>',
      'how fast EC2 and SSM states move: 0 at once (so Packer finishes in seconds), 1 as long as on AWS',
      '0',
    )
    .option(
      '--latency-ms <ms>',
      'round-trip time between clients and every service (GitHub REST and git, EC2, SSM, STS, Slack, CircleCI); a new connection pays one more',
      '0',
    )
    .option(
      '--bandwidth-mbps <mbps>',
      'bandwidth of each connection, each way, in megabits per second (0: unlimited)',
      '0',
    )
    .option('--json', 'print one JSON document with the endpoints and environment on standard output')
    .action(async (options: CommonOptions & SandboxUpOptions) => {
      await runCommand(options, async (context) => {
        const { sandboxUpCommand } = await import('./sandbox-command.js');
        await sandboxUpCommand(options, context);
        return ExitCode.ok;
      });
    });
}

function registerDemo(program: Command): void {
  program
    .command('demo')
    .summary('run the whole lifecycle on the embedded sandbox, narrated (no account needed)')
    .description(
      'Run the whole windows-update lifecycle on the embedded sandbox and narrate it: the scheduled update PR, the\n' +
        'Packer build and validation, the merge, the consumer pipeline and its PR, the rollout notice. No account or\n' +
        'network needed.',
    )
    .option('--keep', 'leave the sandbox up afterwards, so you can git clone the repositories and look')
    .option('--json', 'print a JSON summary on standard output (the narration goes to standard error)')
    .action(async (options: CommonOptions & { keep?: boolean }) => {
      await runCommand(options, async (context) => {
        const { demoCommand } = await import('./demo/demo-command.js');
        return demoCommand(options, context);
      });
    });
}
