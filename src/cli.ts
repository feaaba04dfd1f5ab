/**
 * The `hephestus` command line. Every subcommand's module, and with it every heavy client (AWS SDK, Octokit,
 * Slack), is imported inside its action, so `hephestus --help` loads commander and nothing else.
 */
import { Command, CommanderError, Option } from 'commander';
import { registerConfigGenerate } from './cli/register-config-generate.js';
import { registerFlows } from './cli/register-flows.js';
import { registerIntegrations } from './cli/register-integrations.js';
import { type CommonOptions, withCommonOptions as common, runCommand } from './cli/run-command.js';
import { ExitCode } from './errors.js';
import { VERSION } from './version.js';

// NODE_DEBUG=child_process prints every child's environment: stderr is redacted before any child starts (see
// the module). Loaded only then, so a plain start carries no redactor.
if (process.env.NODE_DEBUG) await import('./log/node-debug-guard.js');

// `hephestus ... | head` closes the pipe early; that is the reader's choice, not a failure.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const program = new Command('hephestus')
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
AWS credentials) and are redacted from everything hephestus prints.

Start with:
  hephestus demo                  the whole lifecycle on a local sandbox, narrated
  hephestus run --help            the seven lifecycle steps the orb's jobs run
  hephestus edit --help           change one value in a config file, keeping every other byte
  hephestus packer parse --help   read the AMIs out of a Packer machine-readable log
  hephestus config check          validate ./hephestus.yml`,
  );

common(
  program
    .command('edit')
    .summary('change one value in an EDN, YAML, JSON or HCL file, byte-for-byte')
    .description(
      'Change one value in a file that people also edit by hand. Only the bytes of the old value change: comments,\n' +
        'whitespace, key order, CRLF line endings and a BOM stay as they are. The result is re-parsed and checked\n' +
        'before it is written, and the write is atomic; on any error the file is left untouched (exit 2).',
    )
    .argument('<file>', 'the file to edit')
    .requiredOption('--path <path>', "where the value is, in the format's own terms (see below)")
    .requiredOption('--value <string>', "the new value, written as a string in the file's syntax")
    .addOption(
      new Option('--format <format>', 'the file format, when the extension does not tell').choices([
        'edn',
        'yaml',
        'json',
        'hcl',
      ]),
    )
    .addOption(
      new Option(
        '--embedded <format>',
        'the value at --path is a string holding a document of this format',
      ).choices(['edn', 'yaml', 'json', 'hcl']),
    )
    .option('--inner-path <path>', 'with --embedded: the path inside the embedded document')
    .option('--create', 'add the key when it is missing and its parent map exists')
    .option(
      '--root <dir>',
      'refuse a file that resolves (through links) outside this directory, e.g. the repository',
    )
    .option('--dry-run', 'show the change as a diff; write nothing')
    .addHelpText(
      'after',
      `
Paths:
  EDN        an EDN vector of keys; keywords and strings differ, integers index vectors,
             tagged literals (#profile {...}) are looked through:
               '[:vm-manager :images "aws" "windows-server-2022"]'
  YAML, JSON a JSON Pointer (RFC 6901):  /variables/source_ami   /builders/0/ami_regions/1
  HCL        top-level attribute, or block type, labels and attribute joined by dots:
               source_ami   variable.source_ami.default   source.amazon-ebs.win2022.instance_type

Examples:
  hephestus edit resources/config.edn --path '[:images :win2022]' --value ami-0123456789abcdef0
  hephestus edit packer/windows.auto.pkrvars.hcl --path win2022_source_ami --value ami-0123456789abcdef0 --dry-run
  hephestus edit chart/templates/configmap.yaml --path /data/config.edn \\
      --embedded edn --inner-path '[:images :win2022]' --value ami-0123456789abcdef0`,
    )
    .action(async (file: string, options: CommonOptions & import('./cli/edit-command.js').EditOptions) => {
      await runCommand(options, async (context) => {
        const { editCommand } = await import('./cli/edit-command.js');
        await editCommand(file, options, context);
        return ExitCode.ok;
      });
    }),
);

const packer = program.command('packer').description('run Packer and read what it built');

common(
  packer
    .command('parse')
    .summary('read builds, artifacts and errors from a Packer machine-readable log')
    .description(
      'Read the builds, their artifacts (AMIs per region for amazon-ebs) and their errors from the output of\n' +
        '`packer build -machine-readable`, streaming, in constant memory. Exit 1 when any build errored.',
    )
    .argument('[log]', 'the log file, or - for standard input', '-')
    .option('--manifest <file>', "also read the manifest post-processor's file (only the last run counts)")
    .addHelpText(
      'after',
      `
Examples:
  packer build -machine-readable . | tee build.log
  hephestus packer parse build.log --json
  hephestus packer parse --manifest manifest.json --json < build.log`,
    )
    .action(async (log: string, options: CommonOptions & { manifest?: string }) => {
      await runCommand(options, async (context) => {
        const { packerParseCommand } = await import('./cli/packer-command.js');
        return packerParseCommand(log, options, context);
      });
    }),
);

common(
  packer
    .command('build')
    .summary('run `packer build`, show progress, and write the parsed artifacts')
    .description(
      'Run `packer build -machine-readable`, tee the raw log (secrets redacted) to --log, show a readable progress\n' +
        'view instead of the raw lines, and write the parsed builds to --out. Exit 1 if any build errored; the\n' +
        "successful builds' artifacts are still written.",
    )
    .argument('<template>', 'the Packer template file or directory')
    .option('--var <key=value>', 'a Packer variable (repeatable)', collect, [] as string[])
    .option('--var-file <file>', 'a Packer variable file (repeatable)', collect, [] as string[])
    .option('--only <builds>', 'only these builds (comma-separated), e.g. amazon-ebs.win2022')
    .option(
      '--pass-env <name>',
      'a variable Packer also sees (repeatable); it gets only AWS_*, PACKER_*, PATH, HOME, TMPDIR and proxies',
      collect,
      [] as string[],
    )
    .requiredOption('--out <file>', 'where to write the parsed artifacts (JSON)')
    .option('--log <file>', 'where to write the raw machine-readable log', 'packer-build.log')
    .action(async (template: string, options: CommonOptions & PackerBuildCliOptions) => {
      await runCommand(options, async (context) => {
        const { packerBuildCommand } = await import('./cli/packer-command.js');
        return packerBuildCommand(template, options, context);
      });
    }),
);

const config = program
  .command('config')
  .description('check hephestus.yml, and generate CircleCI configuration for an event');
common(
  config
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
    )
    .action(async (file: string, options: CommonOptions & { root?: string }) => {
      await runCommand(options, async (context) => {
        const { configCheckCommand } = await import('./cli/config-command.js');
        await configCheckCommand(file, options.root, context);
        return ExitCode.ok;
      });
    }),
);

const sandbox = program
  .command('sandbox')
  .description('the local stand-in for GitHub, Slack, CircleCI, EC2 and SSM');
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
  .option('--json', 'print one JSON document with the endpoints and environment on standard output')
  .action(async (options: CommonOptions & { dir?: string; awsTimeScale?: string }) => {
    await runCommand(options, async (context) => {
      const { sandboxUpCommand } = await import('./cli/sandbox-command.js');
      await sandboxUpCommand(options, context);
      return ExitCode.ok;
    });
  });

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
      const { demoCommand } = await import('./cli/demo-command.js');
      return demoCommand(options, context);
    });
  });

registerIntegrations(program);
registerFlows(program);
registerConfigGenerate(config);

export interface PackerBuildCliOptions {
  var: string[];
  varFile: string[];
  only?: string;
  passEnv: string[];
  out: string;
  log: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; every other commander error is a usage error.
    const done = error.code === 'commander.helpDisplayed' || error.code === 'commander.version';
    process.exitCode = done ? ExitCode.ok : ExitCode.badInput;
  } else {
    throw error;
  }
}
