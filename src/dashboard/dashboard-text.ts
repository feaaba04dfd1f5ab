/**
 * The dashboard issue's text, from what monitor found: per image, channel and region the AMI, its age, its base
 * AMI and the last validation; revoked AMIs; the open update PRs; and the action boxes. Pure: the same model
 * gives the same bytes, so an unchanged fleet edits nothing. Every name read from tags, the lock file or GitHub
 * is escaped; links are kept only when they are plain http(s) URLs.
 */
import { codeSpan, escapeMarkdown } from '../github/markdown.js';
import { boxId, boxLine, DASHBOARD_STATE, type DashboardAction } from './dashboard-boxes.js';

export interface DashboardAmi {
  region: string;
  imageId: string;
  /** Epoch ms. */
  createdAt: number;
  baseAmi?: { imageId: string; name?: string; createdAt?: number };
  validation?: { run: string; url?: string };
}

export interface DashboardImage {
  image: string;
  /** Every configured channel, in order; `amis` empty when the channel holds nothing. */
  channels: Array<{ channel: string; amis: DashboardAmi[] }>;
  revoked: Array<{ region: string; imageId: string; name: string }>;
}

export interface DashboardPullRequest {
  number: number;
  url: string;
  branch: string;
  /** What monitor found: checks, reviews, validation, mergeability. */
  state: string;
}

export interface DashboardModel {
  /** Epoch ms of the run; ages are counted to it. */
  now: number;
  maxAgeDays: number;
  images: DashboardImage[];
  pullRequests: DashboardPullRequest[];
  actions: DashboardAction[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The issue body. */
export function dashboardText(model: DashboardModel): string {
  return [
    'This issue is kept by Hephestus (`hephestus run monitor`): it is rewritten on every run, so edits other than ticking a box are lost.',
    '',
    '## Images',
    '',
    ...model.images.flatMap((image) => imageSection(image, model)),
    '## Open update pull requests',
    '',
    ...(model.pullRequests.length
      ? model.pullRequests.map(
          (pr) => `- [#${pr.number}](${pr.url}) ${codeSpan(pr.branch)}: ${escapeMarkdown(pr.state)}`,
        )
      : ['None.']),
    '',
    '## Actions',
    '',
    'Tick a box and monitor acts on it at its next run, with the same checks as by hand; it then unticks the box and comments what it did or why it refused.',
    '',
    ...model.actions.map(boxLine),
    '',
    DASHBOARD_STATE.encode({ version: 1, boxes: model.actions.map(boxId) }),
    '',
  ].join('\n');
}

function imageSection(image: DashboardImage, model: DashboardModel): string[] {
  const rows = image.channels.flatMap(({ channel, amis }) =>
    amis.length
      ? amis.map((ami) => amiRow(channel, ami, model))
      : [`| ${escapeMarkdown(channel)} | | nothing | | | |`],
  );
  const revoked = image.revoked.map(
    (r) => `- ${codeSpan(r.imageId)} (${escapeMarkdown(r.region)}, ${codeSpan(r.name)})`,
  );
  return [
    `### ${escapeMarkdown(image.image)}`,
    '',
    '| channel | region | AMI | age | base AMI | last validation |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...(revoked.length ? ['Revoked:', '', ...revoked, ''] : []),
  ];
}

function amiRow(channel: string, ami: DashboardAmi, model: DashboardModel): string {
  const days = Math.floor((model.now - ami.createdAt) / DAY_MS);
  const age =
    days > model.maxAgeDays ? `**${days} days** (older than ${model.maxAgeDays}: rebuild)` : `${days} days`;
  return `| ${[
    escapeMarkdown(channel),
    escapeMarkdown(ami.region),
    codeSpan(ami.imageId),
    age,
    baseCell(ami.baseAmi),
    validationCell(ami.validation),
  ].join(' | ')} |`;
}

function baseCell(base: DashboardAmi['baseAmi']): string {
  if (!base) return 'unknown';
  const name = base.name ? `${codeSpan(base.name)} ` : '';
  const date = base.createdAt === undefined ? '' : `, ${isoDay(base.createdAt)}`;
  return `${name}(${codeSpan(base.imageId)}${date})`;
}

function validationCell(validation: DashboardAmi['validation']): string {
  if (!validation) return 'none recorded';
  const run = escapeMarkdown(validation.run);
  const url = validation.url;
  return url && /^https?:\/\/[^\s<>()[\]`|]+$/.test(url) ? `[${run}](${url})` : run;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
