/**
 * The update's top Slack message, which says where the update stands: opened, building, validating, ready,
 * failed, merged, rolled out. Each flow rebuilds it from what it knows and edits it in place (`chat.update`);
 * what happened in detail goes in its thread. Pure: data in, `{text, blocks}` out.
 */
import type { KnownBlock } from '@slack/web-api';
import { context, divider, escapeMrkdwn, header, link, section, truncate } from './block-kit.js';
import {
  type ImageAmis,
  imageNames,
  imageSections,
  message,
  OPENED_LINE,
  type PullRequestInfo,
  prButton,
  prLine,
  prRef,
  type SlackMessage,
  type UpdateOpenedInput,
  type ValidationSummary,
  validationSection,
} from './slack-messages.js';

export const UPDATE_STATES = [
  'opened',
  'building',
  'validating',
  'ready',
  'failed',
  'merged',
  'rolled-out',
] as const;
export type UpdateState = (typeof UPDATE_STATES)[number];

export interface UpdateStatusInput {
  pr: PullRequestInfo;
  state: UpdateState;
  /** The images with the AMIs the flow knows of (none yet while building). */
  images: ImageAmis[];
  kind?: UpdateOpenedInput['kind'];
  /** What happened, in a line or a few (which image failed and why, the channel rolled out to); redacted. */
  detail?: string;
  validation?: ValidationSummary[];
}

const LABEL: Record<UpdateState, string> = {
  opened: 'opened',
  building: 'building',
  validating: 'validating',
  ready: 'ready to merge',
  failed: 'failed',
  merged: 'merged',
  'rolled-out': 'rolled out',
};

const ICON: Record<UpdateState, string> = {
  opened: ':large_blue_circle:',
  building: ':hammer_and_wrench:',
  validating: ':mag:',
  ready: ':white_check_mark:',
  failed: ':x:',
  merged: ':twisted_rightwards_arrows:',
  'rolled-out': ':rocket:',
};

const DESCRIPTION: Record<Exclude<UpdateState, 'opened'>, string> = {
  building: 'Packer is building the images on this branch.',
  validating: 'The new AMIs are booting for their smoke tests.',
  ready: 'Every image validated; the pull request can be merged.',
  failed: 'The build or the validation failed; the details are in the thread.',
  merged: 'The pull request was merged and the validated AMIs promoted.',
  'rolled-out': 'The pull request was merged and the new AMIs rolled out.',
};

/** The states an update passes through, by kind: a consumer's update is opened and then rolled out. */
const PATHS: Record<NonNullable<UpdateOpenedInput['kind']>, readonly UpdateState[]> = {
  images: ['opened', 'building', 'validating', 'ready', 'merged'],
  rebuild: ['opened', 'building', 'validating', 'ready', 'merged'],
  consumer: ['opened', 'rolled-out'],
};

/** The update's status message for `input.state`; a failure takes the place of `ready` on the way. */
export function updateStatusMessage(input: UpdateStatusInput): SlackMessage {
  const names = imageNames(input.images);
  const description =
    input.state === 'opened' ? OPENED_LINE[input.kind ?? 'images'] : DESCRIPTION[input.state];
  const detail = input.detail ? `\n${escapeMrkdwn(truncate(input.detail, 1500))}` : '';
  const blocks: KnownBlock[] = [
    header(`Windows image update: ${names}`),
    section(
      `${prLine(input.pr)}\n${ICON[input.state]} *${capitalized(LABEL[input.state])}*: ${description}${detail}`,
      prButton(input.pr),
    ),
    context(progress(input.state, input.kind ?? 'images')),
    divider,
    ...statusImages(input.images),
  ];
  if (input.validation) blocks.push(divider, validationSection(input.validation));
  blocks.push(context(`${escapeMrkdwn(input.pr.repository)} · ${link(input.pr.url, `#${input.pr.number}`)}`));
  return message(`Windows image update ${LABEL[input.state]}: ${names} (${prRef(input.pr)})`, blocks);
}

/** The images with their AMIs; before there are any (building), only their names. */
function statusImages(images: ImageAmis[]): KnownBlock[] {
  if (images.length === 0 || images.some((i) => Object.keys(i.amis).length > 0)) return imageSections(images);
  return [section(`${images.map((i) => `*${escapeMrkdwn(i.image)}*`).join(', ')}\n_No AMIs yet._`)];
}

/** The way from opened to done, the steps passed checked and the current one in bold. */
function progress(state: UpdateState, kind: NonNullable<UpdateOpenedInput['kind']>): string {
  const path = PATHS[kind].map((step) => (state === 'failed' && step === 'ready' ? 'failed' : step));
  const at = path.indexOf(state);
  // A state off the kind's way (merged on a consumer's update) is shown after it.
  const steps = at >= 0 ? path : [...path, state];
  const current = at >= 0 ? at : steps.length - 1;
  return steps
    .map((step, index) => {
      if (index < current) return `:white_check_mark: ${LABEL[step]}`;
      if (index === current) return `${ICON[step]} *${LABEL[step]}*`;
      return LABEL[step];
    })
    .join('  ›  ');
}

function capitalized(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}
