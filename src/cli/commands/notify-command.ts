/**
 * `hephestus notify`: posts (or, on a re-run, updates) the Slack notice of an event in each channel. The message
 * is remembered in a hidden comment on the pull request, so a re-run edits it and follow-ups thread under it.
 * A Slack failure is reported and exits 0 unless `--strict`: a notice never fails an image rollout.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../../errors.js';
import { GitHubClient } from '../../github/github-client.js';
import { commentMarker } from '../../github/pull-request-marker.js';
import { PullRequests } from '../../github/pull-requests.js';
import { type PullRequest, PullRequestSchema } from '../../github/schema.js';
import {
  InMemoryMessageMemory,
  MarkerMessageMemory,
  type MessageMemory,
} from '../../slack/message-memory.js';
import {
  failedMessage,
  type ImageAmis,
  type PullRequestInfo,
  readyToMergeMessage,
  rolledOutMessage,
  type SlackEvent,
  type SlackMessage,
  updateOpenedMessage,
  type ValidationSummary,
} from '../../slack/slack-messages.js';
import {
  type ChannelOutcome,
  channelsFor,
  describeOutcomes,
  notificationExitCode,
  SlackNotifier,
} from '../../slack/slack-notifier.js';
import { circleRepository, imageForBuild, optionalConfig, readArtifacts } from '../option-parsers.js';
import type { CommandContext } from '../run-command.js';

export const NOTIFY_EVENTS = ['update-opened', 'ready-to-merge', 'rolled-out', 'failed'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

const SLACK_EVENT: Record<NotifyEvent, SlackEvent> = {
  'update-opened': 'update_opened',
  'ready-to-merge': 'ready_to_merge',
  'rolled-out': 'rollout',
  failed: 'failed',
};

export interface NotifyOptions {
  config?: string;
  event: NotifyEvent;
  channel: string[];
  pr?: string;
  repository?: string;
  artifacts?: string;
  validation?: string;
  promotedTo?: string;
  step?: string;
  log?: string;
  jobUrl?: string;
  image?: string;
  strict?: boolean;
  dryRun?: boolean;
}

/** The comment that holds the Slack markers of a pull request (kept out of the body, which `pr` rewrites). */
const MEMORY_KEY = 'slack-messages';

/** Sends the notice; exit 1 only with `--strict` (or `slack.strict`) when a channel failed. */
export async function notifyCommand(
  options: NotifyOptions,
  { logger, json }: CommandContext,
): Promise<0 | 1> {
  const config = await optionalConfig(options.config);
  const event = SLACK_EVENT[options.event];
  const channels = options.channel.length > 0 ? options.channel : channelsFor(config?.slack, event);
  const strict = options.strict === true || config?.slack?.strict === true;
  const number = prNumber(options.pr ?? process.env.CIRCLE_PULL_REQUEST);
  const repository = options.repository ?? config?.github.repository ?? circleRepository();
  let pr: { info: PullRequestInfo; prs: PullRequests; number: number } | undefined;
  if (number !== undefined) {
    if (!repository) {
      throw new InputError('the pull request needs its repository: give --repository owner/name', {
        setting: '--repository',
      });
    }
    const [owner = '', repo = ''] = repository.split('/');
    const client = GitHubClient.fromEnv(process.env, { log: logger });
    const prs = new PullRequests(client, { owner, repo });
    const found: PullRequest = await client.call(
      `read pull request #${number} of ${repository}`,
      PullRequestSchema,
      (o) => o.rest.pulls.get({ owner, repo, pull_number: number }),
    );
    pr = { info: { repository, number, url: found.url, title: found.title }, prs, number };
  }
  const message = await buildMessage(options, config, pr?.info);

  if (channels.length === 0) {
    logger.warn(`no Slack channels for ${options.event}: give --channel or set slack.channels.${event}`);
  }
  if (options.dryRun || channels.length === 0) {
    if (json)
      logger.result({ ok: true, dryRun: options.dryRun === true, event: options.event, channels, message });
    else
      logger.result(
        `would post ${options.event} to ${channels.join(', ') || '(no channels)'}: ${message.text}`,
      );
    return 0;
  }
  const notifier = SlackNotifier.fromEnv(process.env, { logger, redactor: logger.redactor });
  const memory: MessageMemory = pr ? commentMemory(pr.prs, pr.number) : new InMemoryMessageMemory();
  const outcomes: ChannelOutcome[] = await notifier.notify(event, channels, message, { memory });
  const exitCode = notificationExitCode(outcomes, strict);
  for (const outcome of outcomes) {
    if (outcome.status === 'failed')
      logger.warn(`Slack ${outcome.channel}: ${outcome.error}: ${outcome.message}`);
  }
  if (json) logger.result({ ok: exitCode === 0, dryRun: false, event: options.event, strict, outcomes });
  else logger.result(describeOutcomes(outcomes).join('\n'));
  return exitCode;
}

async function buildMessage(
  options: NotifyOptions,
  config: Awaited<ReturnType<typeof optionalConfig>>,
  pr: PullRequestInfo | undefined,
): Promise<SlackMessage> {
  if (options.event === 'failed') {
    return failedMessage({
      step: options.step ?? process.env.CIRCLE_JOB ?? 'hephestus',
      jobUrl: options.jobUrl ?? process.env.CIRCLE_BUILD_URL,
      log: options.log ? await readText(options.log, '--log') : undefined,
      image: options.image,
      pr,
    });
  }
  if (!pr) {
    throw new InputError(
      `the ${options.event} notice is about a pull request: give --pr (or run where CIRCLE_PULL_REQUEST is set)`,
      {
        setting: '--pr',
      },
    );
  }
  const images = options.artifacts ? await imagesFrom(options.artifacts, config) : [];
  const validation = options.validation ? await validationFrom(options.validation) : [];
  switch (options.event) {
    case 'update-opened':
      return updateOpenedMessage({ pr, images, validation });
    case 'ready-to-merge':
      return readyToMergeMessage({ pr, images, validation });
    case 'rolled-out':
      return rolledOutMessage({ pr, images, channel: options.promotedTo });
  }
}

/** The AMIs per region of each build in a `hephestus packer build --out` file, named as configured. */
async function imagesFrom(
  file: string,
  config: Awaited<ReturnType<typeof optionalConfig>>,
): Promise<ImageAmis[]> {
  const result = await readArtifacts(file);
  return result.builds.map((build) => ({
    image: imageForBuild(config, build.name)?.name ?? build.name,
    amis: Object.fromEntries(build.artifacts.flatMap((a) => a.images ?? []).map((i) => [i.region, i.ami])),
  }));
}

/** The summaries in a `hephestus ami validate --json` report. */
async function validationFrom(file: string): Promise<ValidationSummary[]> {
  const text = await readText(file, '--validation');
  let report: {
    validations?: Array<{
      image?: string;
      imageId: string;
      passed: boolean;
      message?: string;
      tests?: Array<{ outcome: string }>;
    }>;
  };
  try {
    report = JSON.parse(text);
  } catch (error) {
    throw new InputError(`not JSON: ${(error as Error).message}`, { file, setting: '--validation' });
  }
  if (!Array.isArray(report.validations)) {
    throw new InputError('not a report of `hephestus ami validate --json` (no "validations")', {
      file,
      setting: '--validation',
    });
  }
  return report.validations.map((v) => ({
    image: v.image ?? v.imageId,
    status: v.passed ? 'passed' : 'failed',
    ...(v.tests
      ? { tests: { total: v.tests.length, failed: v.tests.filter((t) => t.outcome !== 'passed').length } }
      : {}),
    ...(v.message ? { detail: v.message } : {}),
  }));
}

/** The memory in one hidden comment on the pull request, edited in place. */
function commentMemory(prs: PullRequests, number: number): MessageMemory {
  const marker = commentMarker(MEMORY_KEY);
  return new MarkerMessageMemory(
    async () => {
      const comment = (await prs.listComments(number)).find((c) => c.body.includes(marker));
      return comment ? comment.body.replace(marker, '').trim() : '';
    },
    async (text) => {
      await prs.upsertComment(number, MEMORY_KEY, text);
    },
  );
}

async function readText(file: string, option: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'file not found' : `cannot read (${code})`, {
      file,
      setting: option,
    });
  }
}

/** A PR number, or the number at the end of a PR URL (CIRCLE_PULL_REQUEST). */
function prNumber(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const match = /^(\d+)$|\/pulls?\/(\d+)\/?$/.exec(value.trim());
  if (!match)
    throw new InputError(`${JSON.stringify(value)} is not a pull request number or URL`, { setting: '--pr' });
  return Number(match[1] ?? match[2]);
}
