/**
 * `hephestus pr`: opens, updates or closes the update pull request of a branch that is already pushed. What the
 * git step would have told {@link updatePullRequest} is read from GitHub instead: whether the branch differs from
 * the base at all, and whether it carries commits by someone other than the configured author.
 */
import { z } from 'zod';
import { gitAuthor } from '../../config/secrets.js';
import { InputError } from '../../errors.js';
import { type CommitSummary, foreignCommits } from '../../git/git-repository.js';
import { GitHubClient } from '../../github/github-client.js';
import { PullRequests } from '../../github/pull-requests.js';
import {
  type GitStepResult,
  isUnchanged,
  planGitStep,
  pullRequestChanges,
  type UpdateReport,
  type UpdateRequest,
  updatePullRequest,
} from '../../github/update-pull-request.js';
import { circleRepository, optionalConfig } from '../option-parsers.js';
import type { CommandContext } from '../run-command.js';

export interface PrOptions {
  config?: string;
  branch?: string;
  imageSet?: string;
  base?: string;
  repository?: string;
  title?: string;
  body?: string;
  draft?: boolean;
  pushed?: boolean;
  dryRun?: boolean;
}

const Identity = z.object({ name: z.string(), email: z.string() });
/** `GET /repos/{owner}/{repo}/compare/{base}...{head}`, the fields used. */
const CompareSchema = z
  .object({
    status: z.string(),
    ahead_by: z.number().int(),
    files: z.array(z.object({ filename: z.string() })).default([]),
    commits: z.array(
      z.object({
        sha: z.string(),
        commit: z.object({ message: z.string(), author: Identity, committer: Identity }),
      }),
    ),
  })
  .transform((answer) => ({
    files: answer.files.map((file) => file.filename),
    commits: answer.commits.map(
      (c): CommitSummary => ({
        sha: c.sha,
        subject: c.commit.message.split('\n')[0] ?? '',
        authorName: c.commit.author.name,
        authorEmail: c.commit.author.email,
        committerName: c.commit.committer.name,
        committerEmail: c.commit.committer.email,
      }),
    ),
  }));

/** Runs the pull-request half of an update for a pushed branch and reports `created|updated|unchanged|closed`. */
export async function prCommand(options: PrOptions, { logger, json }: CommandContext): Promise<void> {
  const config = await optionalConfig(options.config);
  const prefix = config?.git.branch_prefix ?? 'windows-update/';
  const branch = updateBranch(options, prefix);
  const imageSet = options.imageSet ?? (branch.startsWith(prefix) ? branch.slice(prefix.length) : branch);
  const repository = options.repository ?? config?.github.repository ?? circleRepository();
  if (!repository || !/^[\w.-]+\/[\w.-]+$/.test(repository)) {
    throw new InputError('the repository is not known: give --repository owner/name or github.repository', {
      setting: '--repository',
    });
  }
  const author = gitAuthor(config?.git, process.env);
  if (!author) {
    throw new InputError(
      'the update author is not known: set git.author_name and git.author_email (or HEPHESTUS_GIT_AUTHOR_NAME/_EMAIL)',
      { setting: 'git.author_name' },
    );
  }
  const base = options.base ?? config?.git.default_branch ?? 'main';
  const request: UpdateRequest = {
    imageSet,
    branch,
    base,
    title: options.title ?? `Update Windows images: ${imageSet}`,
    body: options.body ?? `Updates the Windows images of \`${imageSet}\` (branch \`${branch}\`).`,
    labels: config?.github.labels ?? [],
    reviewers: config?.github.reviewers ?? [],
    draft: options.draft === true,
    author,
  };
  const [owner = '', repo = ''] = repository.split('/');
  const client = GitHubClient.fromEnv(process.env, { log: logger });
  const prs = new PullRequests(client, { owner, repo });
  const step = await gitStep(client, prs, request, options.pushed === true);
  logger.info(`${branch}: ${describeStep(step)}`);
  const report = options.dryRun
    ? await plan(prs, step, request)
    : await updatePullRequest(prs, step, request);
  if (json) logger.result({ ok: true, dryRun: options.dryRun === true, ...report });
  else logger.result(describeReport(report, options.dryRun === true));
}

/** The branch from --branch, else --image-set with the prefix, else CIRCLE_BRANCH when it is an update branch. */
function updateBranch(options: PrOptions, prefix: string): string {
  if (options.branch) return options.branch;
  if (options.imageSet) return `${prefix}${options.imageSet}`;
  const circle = process.env.CIRCLE_BRANCH;
  if (circle?.startsWith(prefix)) return circle;
  throw new InputError(`which update branch? Give --branch or --image-set (branches start with ${prefix})`, {
    setting: '--branch',
  });
}

/** What a git step would have reported, read from GitHub: the branch must exist; no file changed means no diff. */
async function gitStep(
  client: GitHubClient,
  prs: PullRequests,
  request: UpdateRequest,
  pushed: boolean,
): Promise<GitStepResult> {
  const compare = await client.attempt(
    `compare ${request.base}...${request.branch} of ${prs.fullName}`,
    CompareSchema,
    (o) =>
      o.rest.repos.compareCommitsWithBasehead({
        ...prs.repository,
        basehead: `${request.base}...${request.branch}`,
      }),
    [404],
  );
  if (!compare.ok) {
    throw new InputError(
      `branch ${request.branch} or base ${request.base} does not exist in ${prs.fullName}: push the branch first`,
      { setting: '--branch' },
    );
  }
  if (compare.data.files.length === 0) return { status: 'no-diff', branchExists: true };
  const foreign = foreignCommits(compare.data.commits, [request.author]);
  return {
    status: pushed ? 'pushed' : 'up-to-date',
    ...(foreign.length > 0 ? { foreignCommits: foreign } : {}),
  };
}

/** The report a real run would give, computed from reads only. */
async function plan(prs: PullRequests, step: GitStepResult, request: UpdateRequest): Promise<UpdateReport> {
  const report: UpdateReport = {
    outcome: 'unchanged',
    branch: request.branch,
    superseded: [],
    changes: [],
    notes: [],
  };
  const decided = planGitStep(step, request);
  if (decided.kind === 'nothing') return report;
  const own = await prs.findOpen(request.branch);
  if (own) report.pullRequest = { number: own.number, url: own.url };
  if (decided.kind === 'close') {
    report.outcome = 'closed';
    report.changes.push(...(own ? [`close #${own.number}`] : []), `delete ${request.branch}`);
  } else if (decided.kind === 'refuse') {
    report.notes.push(decided.message);
  } else if (!own) {
    report.outcome = 'created';
    report.changes.push(`open a pull request from ${request.branch} into ${request.base}`);
  } else {
    const changes = pullRequestChanges(own, request);
    if (!isUnchanged(changes) || decided.pushed) report.outcome = 'updated';
    if (changes.title !== undefined) report.changes.push('title');
    if (changes.body !== undefined) report.changes.push('body');
    const { add, remove } = changes.labels;
    if (add.length + remove.length > 0)
      report.changes.push(`labels ${[...add.map((l) => `+${l}`), ...remove.map((l) => `-${l}`)].join(' ')}`);
    if (changes.reviewers.length > 0) report.changes.push(`reviewers ${changes.reviewers.join(' ')}`);
  }
  return report;
}

function describeStep(step: GitStepResult): string {
  if (step.status === 'no-diff') return 'no change against the base';
  const foreign = step.foreignCommits?.length ?? 0;
  return `carries the update${foreign > 0 ? ` and ${foreign} commit(s) by someone else, kept` : ''}`;
}

function describeReport(report: UpdateReport, dryRun: boolean): string {
  const pr = report.pullRequest ? ` #${report.pullRequest.number} ${report.pullRequest.url}` : '';
  const lines = [
    `${dryRun ? 'would be ' : ''}${report.outcome}:${pr || ` ${report.branch}`}${dryRun ? ' (dry run)' : ''}`,
  ];
  for (const change of report.changes) lines.push(`  ${change}`);
  for (const note of report.notes) lines.push(`  note: ${note}`);
  return lines.join('\n');
}
