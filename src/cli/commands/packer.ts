/** Registers `hephestus packer parse|build`; their handler (packer-command.ts) loads when one runs. */
import type { Command } from 'commander';
import { collect, withCommonOptions } from '../common-options.js';
import { type CommonOptions, runCommand } from '../run-command.js';
import type { PackerBuildCliOptions } from './packer-command.js';

/** Adds the `packer` group to `program`. */
export function register(program: Command): void {
  const packer = program.command('packer').description('run Packer and read what it built');
  registerParse(packer);
  registerBuild(packer);
}

function registerParse(packer: Command): void {
  const parse = packer
    .command('parse')
    .summary('read builds, artifacts and errors from a Packer machine-readable log')
    .description(
      'Read the builds, their artifacts (AMIs per region for amazon-ebs) and their errors from the output of\n' +
        '`packer build -machine-readable`, streaming, in constant memory. Exit 1 when any build errored.',
    )
    .argument('[log]', 'the log file, or - for standard input', '-')
    .option('--manifest <file>', "also read the manifest post-processor's file (only the last run counts)");
  withCommonOptions(parse)
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
        const { packerParseCommand } = await import('./packer-command.js');
        return packerParseCommand(log, options, context);
      });
    });
}

function registerBuild(packer: Command): void {
  const build = packer
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
    .option('--log <file>', 'where to write the raw machine-readable log', 'packer-build.log');
  withCommonOptions(build).action(
    async (template: string, options: CommonOptions & PackerBuildCliOptions) => {
      await runCommand(options, async (context) => {
        const { packerBuildCommand } = await import('./packer-command.js');
        return packerBuildCommand(template, options, context);
      });
    },
  );
}
