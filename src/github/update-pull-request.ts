/**
 * The pull-request half of an update, after the git step: given what the git step did to the update branch,
 * open, update, leave alone or close the one pull request of the image set, and report which.
 *
 * As peter-evans/create-pull-request, with what its users ask for: a fixed branch per image set, so re-runs
 * update the same PR; labels reconciled both ways, but only those Hephestus set (a person's labels stay);
 * reviews requested once, not again after someone reviewed; nothing written when nothing changed; older update
 * PRs of the same image set closed with a link to the new one; and a branch carrying someone else's commits is
 * never overwritten: the run says so on the PR and fails.
 *
 * The decisions are pure functions (planGitStep, pullRequestChanges, planLabels, findSuperseded); the flow
 * only carries them out.
 */
import { FailureError } from '../errors.js';
import type { CommitSummary, GitIdentity } from '../git/git-repository.js';
import { type ManagedState, readManagedState, withManagedState } from './pull-request-marker.js';
import type { PullRequests } from './pull-requests.js';
import type { PullRequest } from './schema.js';

export type Outcome = 'created' | 'updated' | 'unchanged' | 'closed';

export const DEFAULT_BRANCH_PREFIX = 'windows-update/';

/** What the git step did to the update branch. */
export type GitStepResult =
  /** The base already holds the update: nothing to propose (the branch is kept when it carries someone's commits). */
  | { status: 'no-diff'; branchExists: boolean; foreignCommits?: readonly CommitSummary[] }
  /** The branch carries the update: `pushed` when this run moved it, `up-to-date` when it already did. */
  | { status: 'pushed' | 'up-to-date'; foreignCommits?: readonly CommitSummary[] }
  /** The branch carries commits by someone else and does not hold the update; nothing was pushed on top of them. */
  | { status: 'blocked'; foreignCommits: readonly CommitSummary[]; detail?: string };

/** The pull request an update should have. */
export interface UpdateRequest {
  imageSet: string;
  /** The update branch, see {@link updateBranchName}. */
  branch: string;
  base: string;
  title: string;
  body: string;
  labels?: readonly string[];
  reviewers?: readonly string[];
  teamReviewers?: readonly string[];
  /** Applied when the PR is created; see PullRequests.update for why not later. */
  draft?: boolean;
  /** The configured git author: commits by anyone else are someone else's work. */
  author: GitIdentity;
  /**
   * What of the PR's current body to keep in the new one (e.g. markers another run wrote meanwhile): the body
   * to write, from `body` and the current one. By default the current body is replaced.
   */
  keepFromBody?: (body: string, currentBody: string) => string;
  /** The open pull requests into `base`, when the caller listed them already (it saves the list call). */
  openPullRequests?: readonly PullRequest[];
  /**
   * True for another image set this update covers (a subset of its images): that set's open update PR, from its
   * own branch, is closed as superseded by this one. Same image set only by default.
   */
  covers?: (imageSet: string) => boolean;
  /** The branch name of an image set (to tell an update PR's own branch from any other). */
  branchOf?: (imageSet: string) => string;
}

export interface PullRequestLink {
  number: number;
  url: string;
}

export interface UpdateReport {
  outcome: Outcome;
  branch: string;
  pullRequest?: PullRequestLink;
  /** Older update PRs of the same image set closed by this run. */
  superseded: PullRequestLink[];
  /** What this run changed, for the log and `--json`. */
  changes: string[];
  /** Things worth knowing that changed nothing (a draft state that differs, a review that could not be requested). */
  notes: string[];
}

/** The fixed update branch of an image set: `<prefix><image-set>`. */
export function updateBranchName(imageSet: string, prefix: string = DEFAULT_BRANCH_PREFIX): string {
  return `${prefix}${imageSet}`;
}

/** What to do about the git step's result, before looking at any pull request. */
export type GitStepPlan =
  | { kind: 'nothing' }
  | { kind: 'close'; comment: string }
  | { kind: 'refuse'; comment: string; message: string }
  | { kind: 'propose'; pushed: boolean };

/** Decides from the git step alone: nothing, close (and delete the branch), refuse, or open/update the PR. */
export function planGitStep(step: GitStepResult, request: UpdateRequest): GitStepPlan {
  switch (step.status) {
    case 'no-diff':
      return step.branchExists && !step.foreignCommits?.length
        ? { kind: 'close', comment: closingComment(request) }
        : { kind: 'nothing' };
    case 'blocked':
      return {
        kind: 'refuse',
        comment: blockedComment(request, step.foreignCommits, step.detail),
        message:
          `the update branch ${request.branch} carries ${plural(step.foreignCommits.length, 'commit')} not made by ` +
          `${request.author.name} <${request.author.email}> and does not hold this update; an update is never put on ` +
          "top of someone else's commits, so nothing was pushed",
      };
    case 'pushed':
    case 'up-to-date':
      return { kind: 'propose', pushed: step.status === 'pushed' };
  }
}

/** Labels to add and remove: add what is wanted and missing; remove only labels Hephestus set earlier and no longer wants. */
export function planLabels(
  current: readonly string[],
  desired: readonly string[],
  managedBefore: readonly string[],
): { add: string[]; remove: string[]; result: string[] } {
  // GitHub label names are unique regardless of case.
  const key = (name: string) => name.toLowerCase();
  const has = (list: readonly string[], name: string) => list.some((l) => key(l) === key(name));
  const add = unique(desired).filter((name) => !has(current, name));
  const remove = current.filter((name) => has(managedBefore, name) && !has(desired, name));
  const result = [...current.filter((name) => !has(remove, name)), ...add];
  return { add, remove, result };
}

/** Everything about an existing PR that differs from the request, and the body it should have. */
export interface PullRequestChanges {
  title?: string;
  body?: string;
  labels: { add: string[]; remove: string[]; result: string[] };
  reviewers: string[];
  teamReviewers: string[];
  /** The PR's draft state differs from the request (reported, not changed). */
  draftDiffers: boolean;
}

/**
 * Compares an existing PR with the request; nothing in the result means no write is needed. `justCreated`: the
 * body's state block was written with the PR, so its reviewers have not been asked yet.
 */
export function pullRequestChanges(
  pr: PullRequest,
  request: UpdateRequest,
  justCreated = false,
): PullRequestChanges {
  const state = readManagedState(pr.body);
  const before = justCreated ? undefined : state;
  const body = desiredBody(request, pr.body);
  const labels = planLabels(pr.labels, request.labels ?? [], before?.labels ?? []);
  const lower = (list: readonly string[]) => list.map((s) => s.toLowerCase());
  const skipReviewers = new Set(
    lower([...(before?.reviewers ?? []), ...pr.requestedReviewers, ...(pr.author ? [pr.author] : [])]),
  );
  const skipTeams = new Set(lower([...(before?.teamReviewers ?? []), ...pr.requestedTeams]));
  return {
    ...(pr.title !== request.title ? { title: request.title } : {}),
    ...(pr.body.replace(/\r\n/g, '\n') !== body ? { body } : {}),
    labels,
    reviewers: unique(request.reviewers ?? []).filter((r) => !skipReviewers.has(r.toLowerCase())),
    teamReviewers: unique(request.teamReviewers ?? []).filter((t) => !skipTeams.has(t.toLowerCase())),
    draftDiffers: pr.draft !== (request.draft ?? false),
  };
}

/** True when applying `changes` would write nothing. */
export function isUnchanged(changes: PullRequestChanges): boolean {
  return (
    changes.title === undefined &&
    changes.body === undefined &&
    changes.labels.add.length === 0 &&
    changes.labels.remove.length === 0 &&
    changes.reviewers.length === 0 &&
    changes.teamReviewers.length === 0
  );
}

/** Open update PRs of the same image set from another branch (an older naming, a renamed prefix): those `current` supersedes. */
export function findSuperseded(
  open: readonly PullRequest[],
  current: {
    imageSet: string;
    branch: string;
    number?: number;
    covers?: (imageSet: string) => boolean;
    branchOf?: (imageSet: string) => string;
  },
): PullRequest[] {
  return open.filter((pr) => {
    if (pr.number === current.number || pr.headRef === current.branch) return false;
    const imageSet = readManagedState(pr.body)?.imageSet;
    if (imageSet === undefined) return false;
    if (imageSet === current.imageSet) return true;
    // A smaller update of some of the same images, from that set's own update branch: the pins it edits are ours.
    return (
      current.covers?.(imageSet) === true &&
      current.branchOf !== undefined &&
      pr.headRef === current.branchOf(imageSet)
    );
  });
}

/** The body an update PR should have: the request's text (keeping what it asks of `currentBody`) and the state block recording what Hephestus set. */
export function desiredBody(request: UpdateRequest, currentBody?: string): string {
  const state: ManagedState = {
    imageSet: request.imageSet,
    labels: [...(request.labels ?? [])],
    reviewers: [...(request.reviewers ?? [])],
    teamReviewers: [...(request.teamReviewers ?? [])],
  };
  const text =
    request.keepFromBody && currentBody !== undefined
      ? request.keepFromBody(request.body, currentBody.replace(/\r\n/g, '\n'))
      : request.body;
  return withManagedState(text, state);
}

/**
 * Carries out the pull-request half of an update and reports the outcome. Throws FailureError (exit 1) after
 * commenting on the PR when the branch carries someone else's commits that the update cannot go on top of.
 */
export async function updatePullRequest(
  prs: PullRequests,
  step: GitStepResult,
  request: UpdateRequest,
): Promise<UpdateReport> {
  const report: UpdateReport = {
    outcome: 'unchanged',
    branch: request.branch,
    superseded: [],
    changes: [],
    notes: [],
  };
  const plan = planGitStep(step, request);
  // No diff and no branch: no PR can be open for it (GitHub closes a PR whose branch is deleted), so no call at all.
  if (plan.kind === 'nothing') return report;

  const open = request.openPullRequests ?? (await prs.listOpen(request.base));
  const own = open.find((pr) => prs.isOwnBranch(pr, request.branch));
  if (own) report.pullRequest = link(own);

  if (plan.kind === 'close') {
    if (own) {
      await prs.close(own.number, plan.comment);
      report.changes.push(`closed #${own.number}`);
    }
    if ((await prs.deleteBranch(request.branch)) === 'deleted')
      report.changes.push(`deleted ${request.branch}`);
    report.outcome = 'closed';
    return report;
  }

  if (plan.kind === 'refuse') {
    if (!own) throw new FailureError(`GitHub: ${plan.message}`);
    const { comment } = await prs.upsertComment(own.number, 'update-blocked', plan.comment);
    throw new FailureError(`GitHub: ${plan.message}; see ${comment.url}`);
  }

  let pr = own;
  if (!pr) {
    const created = await prs.create({
      head: request.branch,
      base: request.base,
      title: request.title,
      body: desiredBody(request),
      draft: request.draft,
    });
    if (created.status === 'created') {
      pr = created.pullRequest;
      report.outcome = 'created';
      report.pullRequest = link(pr);
      report.changes.push(`created #${pr.number}`);
    } else {
      // Opened meanwhile (a concurrent run, or a list that lagged): update that one instead.
      pr = await prs.findOpen(request.branch);
      if (!pr) {
        throw new FailureError(
          `GitHub: a pull request from ${request.branch} already exists in ${prs.fullName}, but none is open from it`,
        );
      }
      report.pullRequest = link(pr);
    }
  }

  const wrote = await applyChanges(prs, pr, request, report, report.outcome === 'created');
  if (report.outcome !== 'created' && (wrote || plan.pushed)) report.outcome = 'updated';
  if (plan.pushed) report.changes.push(`pushed ${request.branch}`);

  for (const old of findSuperseded(open, {
    imageSet: request.imageSet,
    branch: request.branch,
    number: pr.number,
    covers: request.covers,
    branchOf: request.branchOf,
  })) {
    // The state block is only a claim: anyone can write one into a PR body. Only the bot's own PRs are its to close.
    if (!(await prs.isBot(old.author))) continue;
    await prs.close(old.number, supersededComment(old, pr));
    report.superseded.push(link(old));
    report.changes.push(`closed #${old.number} (superseded by #${pr.number})`);
  }
  return report;
}

/** Writes what differs between `pr` and the request; true when anything was written. */
async function applyChanges(
  prs: PullRequests,
  pr: PullRequest,
  request: UpdateRequest,
  report: UpdateReport,
  justCreated: boolean,
): Promise<boolean> {
  const changes = pullRequestChanges(pr, request, justCreated);
  if (changes.draftDiffers) {
    report.notes.push(
      `#${pr.number} is ${pr.draft ? 'a draft' : 'ready for review'}; the draft setting applies when a pull request ` +
        'is created (GitHub changes it only through GraphQL), so it was left as it is',
    );
  }
  if (isUnchanged(changes)) return false;
  if (changes.title !== undefined || changes.body !== undefined) {
    await prs.update(pr.number, { title: changes.title, body: changes.body });
    if (changes.title !== undefined) report.changes.push('title');
    if (changes.body !== undefined) report.changes.push('body');
  }
  const { add, remove, result } = changes.labels;
  if (remove.length > 0) await prs.setLabels(pr.number, result);
  else if (add.length > 0) await prs.addLabels(pr.number, add);
  if (add.length > 0 || remove.length > 0) {
    report.changes.push(`labels ${[...add.map((l) => `+${l}`), ...remove.map((l) => `-${l}`)].join(' ')}`);
  }
  if (changes.reviewers.length > 0 || changes.teamReviewers.length > 0) {
    const problem = await prs.requestReviewers(pr.number, changes.reviewers, changes.teamReviewers);
    if (problem) report.notes.push(problem);
    else report.changes.push(`reviewers ${[...changes.reviewers, ...changes.teamReviewers].join(' ')}`);
  }
  return true;
}

function link(pr: PullRequest): PullRequestLink {
  return { number: pr.number, url: pr.url };
}

function closingComment(request: UpdateRequest): string {
  return (
    `\`${request.base}\` already contains this update of image set \`${request.imageSet}\`, so there is nothing ` +
    `left to merge: Hephestus closed this pull request and deleted \`${request.branch}\`.`
  );
}

function supersededComment(old: PullRequest, by: PullRequest): string {
  return `Superseded by #${by.number} (${by.url}), which carries the newer update of these images. Closed by Hephestus; the branch \`${old.headRef}\` is left as it is.`;
}

function blockedComment(request: UpdateRequest, foreign: readonly CommitSummary[], detail?: string): string {
  const lines = foreign.map(
    (c) =>
      `- ${c.sha.slice(0, 12)} ${c.subject} (${c.authorName}${c.committerName !== c.authorName ? `, committed by ${c.committerName}` : ''})`,
  );
  return [
    `Hephestus could not update \`${request.branch}\`: it carries commits not made by ${request.author.name}, and it does not hold the new update. Hephestus never puts an update on top of someone else's commits (it could undo what they meant), so nothing was pushed and they are kept.`,
    '',
    ...lines,
    ...(detail ? ['', detail] : []),
    '',
    `To let the next run start over from \`${request.base}\`, merge or close this pull request and delete the branch; or bring the branch up to date by hand.`,
  ].join('\n');
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function unique(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = v.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
