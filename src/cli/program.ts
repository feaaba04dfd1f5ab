/** The `hephestus` program itself: its description, version, help layout, and how commander's exits map to ours. */
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../errors.js';
import { VERSION } from '../version.js';

/** The top-level command, without subcommands: each group in src/cli/commands/ registers its own. */
export function createProgram(): Command {
  return (
    new Command('hephestus')
      .description(
        'Keeps machine images current, GitOps style: finds newer base AMIs, rebuilds and validates the images with\n' +
          'Packer, and bumps the image ids in the repositories that use them, each step through a pull request.',
      )
      .version(VERSION, '-V, --version')
      .showHelpAfterError('(run with --help for usage)')
      // The help texts are laid out for 110 columns (tables of flows, examples); narrower wrapping breaks them mid-line.
      .configureHelp({ helpWidth: Math.max(process.stdout.columns ?? 0, 120) })
      .exitOverride()
      .configureOutput({ outputError: (text, write) => write(text) })
      .addHelpText(
        'after',
        `
Exit codes: 0 success, 1 a real failure was found (a build or validation failed), 2 bad input or configuration.
Secrets come from the environment (GITHUB_TOKEN or PASSWORD, CIRCLE_TOKEN or CCI_PASSWORD, SLACK_ACCESS_TOKEN,
AWS credentials) and are redacted from everything hephestus prints. To read a token from a variable of another
name, name it in HEPHESTUS_GITHUB_TOKEN_VAR, HEPHESTUS_CIRCLE_TOKEN_VAR or HEPHESTUS_SLACK_TOKEN_VAR.

Start with:
  hephestus demo                  the whole lifecycle on a local sandbox, narrated
  hephestus run --help            the seven lifecycle steps the orb's jobs run
  hephestus edit --help           change one value in a config file, keeping every other byte
  hephestus packer parse --help   read the AMIs out of a Packer machine-readable log
  hephestus config check          validate ./hephestus.yml`,
      )
  );
}

/** Parses `argv` and runs the command it names; a usage error becomes exit 2, help and version exit 0. */
export async function parseArguments(program: Command, argv: readonly string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    const done = error.code === 'commander.helpDisplayed' || error.code === 'commander.version';
    process.exitCode = done ? ExitCode.ok : ExitCode.badInput;
  }
}
