/** Registers `hephestus pr`; its handler (pr-command.ts, with Octokit) loads when it runs. */
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { sharedOption, withCommonOptions } from '../common-options.js';
import { type CommonOptions, runCommand } from '../run-command.js';
import type { PrOptions } from './pr-command.js';

/** Adds `pr` to `program`. */
export function register(program: Command): void {
  const pr = program
    .command('pr')
    .summary('open, update or close the update pull request of a pushed branch')
    .description(
      'Open or update the pull request of an update branch that is already pushed, or close it (and delete the\n' +
        'branch) when the branch no longer differs from the base. Labels and reviewers come from the configuration;\n' +
        'commits by someone else on the branch are kept. Reports created, updated, unchanged or closed.',
    )
    .addOption(sharedOption('config'))
    .option('--branch <branch>', 'the update branch (default: CIRCLE_BRANCH when it is one)')
    .option('--image-set <name>', 'the image set; the branch is then <branch_prefix><name>')
    .option('--base <branch>', 'the base branch (default: git.default_branch)')
    .addOption(sharedOption('repository'))
    .option('--title <text>', 'the pull request title')
    .option('--body <text>', 'the pull request body')
    .option('--draft', 'open the pull request as a draft')
    .option('--pushed', 'this job pushed the branch: report the pull request as updated')
    .addOption(sharedOption('dryRun'));
  withCommonOptions(pr)
    .addHelpText(
      'after',
      `
Examples:
  hephestus pr --branch windows-update/win2022 --json
  hephestus pr --image-set win2022 --title 'Windows images of May' --dry-run`,
    )
    .action(async (options: CommonOptions & PrOptions) => {
      await runCommand(options, async (context) => {
        const { prCommand } = await import('./pr-command.js');
        await prCommand(options, context);
        return ExitCode.ok;
      });
    });
}
