/**
 * The four Slack notices of an image update, as Block Kit: update PR opened, ready to merge, merged and
 * rolled out, failed. Pure: data in, `{text, blocks}` out; every message fits Slack's limits (see block-kit.ts).
 */
import type { KnownBlock } from '@slack/web-api';
import {
  context,
  cutStart,
  divider,
  escapeMrkdwn,
  fallbackText,
  header,
  limitBlocks,
  link,
  logSection,
  section,
} from './block-kit.js';

/** The events Hephestus notifies about; the names match `slack.channels` in hephestus.yml. */
export type SlackEvent = 'update_opened' | 'ready_to_merge' | 'rollout' | 'failed' | 'revoked';

export interface SlackMessage {
  /** Shown in notifications and where blocks cannot be (screen readers, old clients). */
  text: string;
  blocks: KnownBlock[];
}

export interface PullRequestInfo {
  /** `owner/name`. */
  repository: string;
  number: number;
  url: string;
  title: string;
}

/** The AMIs of one image, per region; `previous` holds the ids they replace, when known. */
export interface ImageAmis {
  image: string;
  amis: Record<string, string>;
  previous?: Record<string, string>;
}

export interface ValidationSummary {
  image: string;
  status: 'passed' | 'failed' | 'skipped';
  /** Smoke tests run and failed, when there were any. */
  tests?: { total: number; failed: number };
  detail?: string;
}

export interface UpdateOpenedInput {
  pr: PullRequestInfo;
  images: ImageAmis[];
  validation: ValidationSummary[];
  /**
   * What the pull request is and what comes next: an images repository's update (the default: pins bumped, built
   * and validated on the branch next) or a consumer's (images validated already, merging rolls them out).
   */
  kind?: 'images' | 'rebuild' | 'consumer';
}

const OPENED_LINE: Record<NonNullable<UpdateOpenedInput['kind']>, string> = {
  images: 'Newer base AMIs are pinned; the images are built and validated on this branch next.',
  rebuild:
    'A rebuild was asked for with the current base AMIs; the images are built and validated on this branch next.',
  consumer: 'The images were validated by the images pipeline; merging this pull request rolls them out.',
};

export interface ReadyToMergeInput {
  pr: PullRequestInfo;
  images: ImageAmis[];
  validation: ValidationSummary[];
}

export interface RolledOutInput {
  pr: PullRequestInfo;
  images: ImageAmis[];
  /** The image channel the AMIs now serve (`stable`), when promotion is part of the rollout. */
  channel?: string;
  /** Repositories told about the new images (a triggered pipeline or a pull request). */
  consumers?: Array<{ repository: string; url?: string }>;
}

export interface FailedInput {
  /** The step that failed, as the job names it (`packer build`, `validate`, `open pull request`). */
  step: string;
  /** The CircleCI job's URL (`CIRCLE_BUILD_URL`). */
  jobUrl?: string;
  /** The end of the step's log, already redacted by the caller. */
  log?: string;
  image?: string;
  pr?: PullRequestInfo;
  /** Lines of the log shown; default 25. */
  logLines?: number;
}

const STATUS_ICON: Record<ValidationSummary['status'], string> = {
  passed: ':white_check_mark:',
  failed: ':x:',
  skipped: ':heavy_minus_sign:',
};

/** The notice for a new or updated update pull request: images, AMIs per region, validation, PR link. */
export function updateOpenedMessage(input: UpdateOpenedInput): SlackMessage {
  const names = imageNames(input.images);
  return message(`Windows image update opened: ${names} (${prRef(input.pr)})`, [
    header(`Windows image update: ${names}`),
    section(`${prLine(input.pr)}\n${OPENED_LINE[input.kind ?? 'images']}`, prButton(input.pr)),
    divider,
    ...imageSections(input.images),
    divider,
    validationSection(input.validation),
    context(`${escapeMrkdwn(input.pr.repository)} · ${link(input.pr.url, `#${input.pr.number}`)}`),
  ]);
}

/** The notice that an update pull request passed validation and checks and waits for a merge. */
export function readyToMergeMessage(input: ReadyToMergeInput): SlackMessage {
  const names = imageNames(input.images);
  return message(`Ready to merge: ${names} (${prRef(input.pr)})`, [
    header(`Ready to merge: ${names}`),
    section(
      `${prLine(input.pr)}\nEvery image validated; the pull request can be merged.`,
      prButton(input.pr),
    ),
    validationSection(input.validation),
    context(`${escapeMrkdwn(input.pr.repository)} · ${link(input.pr.url, `#${input.pr.number}`)}`),
  ]);
}

/** The notice that an update was merged and its AMIs rolled out. */
export function rolledOutMessage(input: RolledOutInput): SlackMessage {
  const names = imageNames(input.images);
  const where = input.channel ? ` to *${escapeMrkdwn(input.channel)}*` : '';
  const blocks: KnownBlock[] = [
    header(`Rolled out: ${names}`),
    section(`${prLine(input.pr)} was merged; the new AMIs are rolled out${where}.`, prButton(input.pr)),
    divider,
    ...imageSections(input.images),
  ];
  if (input.consumers && input.consumers.length > 0) {
    const lines = input.consumers.map(
      (c) => `• ${c.url ? link(c.url, c.repository) : escapeMrkdwn(c.repository)}`,
    );
    blocks.push(section(`*Consumers updated*\n${lines.join('\n')}`));
  }
  return message(`Rolled out: ${names} (${prRef(input.pr)})`, blocks);
}

/** The notice that a step failed: which step, a link to the CircleCI job, and the end of its log. */
export function failedMessage(input: FailedInput): SlackMessage {
  const what = input.image ? `${input.step} (${input.image})` : input.step;
  const details = [
    `Step *${escapeMrkdwn(input.step)}* failed${input.image ? ` for *${escapeMrkdwn(input.image)}*` : ''}.`,
  ];
  if (input.pr) details.push(prLine(input.pr));
  const blocks: KnownBlock[] = [
    header(`Failed: ${what}`),
    section(details.join('\n'), input.jobUrl ? { text: 'Open CircleCI job', url: input.jobUrl } : undefined),
  ];
  if (input.log !== undefined) blocks.push(logSection(input.log, input.logLines ?? 25));
  if (input.jobUrl) blocks.push(context(link(input.jobUrl, 'CircleCI job')));
  return message(`Hephestus failed: ${what}`, blocks);
}

/** Which message builder goes with which event, for callers that dispatch on the event name. */
export const messageBuilders = {
  update_opened: updateOpenedMessage,
  ready_to_merge: readyToMergeMessage,
  rollout: rolledOutMessage,
  failed: failedMessage,
} as const;

function message(text: string, blocks: KnownBlock[]): SlackMessage {
  return { text: fallbackText(text), blocks: limitBlocks(blocks) };
}

function imageNames(images: ImageAmis[]): string {
  return images.length === 0 ? 'no images' : images.map((i) => i.image).join(', ');
}

function prRef(pr: PullRequestInfo): string {
  return `${pr.repository}#${pr.number}`;
}

/** A title long enough to push the link past the section's limit would be cut mid-link; cut the title instead. */
function prLine(pr: PullRequestInfo): string {
  const title = pr.title.length > 200 ? `${cutStart(pr.title, 199)}…` : pr.title;
  return link(pr.url, `#${pr.number} ${title}`);
}

function prButton(pr: PullRequestInfo): { text: string; url: string } {
  return { text: 'View pull request', url: pr.url };
}

/** Image sections per message: leaves room under Slack's 50 blocks for the validation and links after them. */
const MAX_IMAGE_SECTIONS = 40;

/** One section per image: its AMI in each region, with the one it replaces. */
function imageSections(images: ImageAmis[]): KnownBlock[] {
  if (images.length === 0) return [section('_No images in this update._')];
  if (images.length > MAX_IMAGE_SECTIONS) {
    const shown = imageSections(images.slice(0, MAX_IMAGE_SECTIONS - 1));
    return [...shown, section(`_${images.length - shown.length} more images not listed._`)];
  }
  return images.map((image) => {
    const regions = Object.keys(image.amis).sort();
    const lines = regions.map((region) => {
      const was = image.previous?.[region];
      const change = was && was !== image.amis[region] ? ` (was \`${escapeMrkdwn(was)}\`)` : '';
      return `• ${escapeMrkdwn(region)}: \`${escapeMrkdwn(image.amis[region] ?? '')}\`${change}`;
    });
    const body = lines.length > 0 ? lines.join('\n') : '_no AMIs_';
    return section(`*${escapeMrkdwn(image.image)}*\n${body}`);
  });
}

function validationSection(results: ValidationSummary[]): KnownBlock {
  if (results.length === 0) return section('*Validation*\n_No validation results._');
  const lines = results.map((r) => {
    const tests = r.tests ? ` (${r.tests.total - r.tests.failed}/${r.tests.total} smoke tests passed)` : '';
    const detail = r.detail ? `: ${escapeMrkdwn(r.detail)}` : '';
    return `${STATUS_ICON[r.status]} *${escapeMrkdwn(r.image)}* ${r.status}${tests}${detail}`;
  });
  return section(`*Validation*\n${lines.join('\n')}`);
}
