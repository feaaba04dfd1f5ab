/**
 * revoke's incident notice: which image was revoked and why, its AMIs per region with what each channel holds
 * again, the consumers sent back, and who did it. Pure: data in, `{text, blocks}` out, within Slack's limits.
 */
import type { KnownBlock } from '@slack/web-api';
import {
  context,
  divider,
  escapeMrkdwn,
  fallbackText,
  header,
  limitBlocks,
  link,
  section,
} from './block-kit.js';
import type { SlackMessage } from './slack-messages.js';

export interface RevokedInput {
  /** `owner/name` of the images repository. */
  repository: string;
  image: string;
  /** Cleaned and bounded by the caller. */
  reason: string;
  /** What EC2 did: `disabled` or `deprecated`. */
  retired: 'disabled' | 'deprecated';
  /** Per revoked AMI: its region, and the channel it held with what holds the channel now. */
  amis: Array<{ region: string; imageId: string; channel?: string; replacement?: string }>;
  /** Consumers sent the rolled-back images, with a link when there is one. */
  consumers: Array<{ repository: string; url?: string }>;
  /** Who ran it (a CircleCI user, or the local user). */
  by: string;
  jobUrl?: string;
  lockPullRequest?: { number: number; url: string };
}

/** The incident notice of a revocation. */
export function revokedMessage(input: RevokedInput): SlackMessage {
  const lines = [...input.amis]
    .sort((a, b) => a.region.localeCompare(b.region))
    .map((ami) => {
      const was = `• ${escapeMrkdwn(ami.region)}: \`${escapeMrkdwn(ami.imageId)}\` ${input.retired}`;
      if (!ami.channel) return was;
      const now = ami.replacement
        ? `\`${escapeMrkdwn(ami.replacement)}\``
        : '_no image_ (nothing earlier was validated)';
      return `${was}; *${escapeMrkdwn(ami.channel)}* rolled back to ${now}`;
    });
  const consumers = input.consumers.map(
    (c) => `• ${c.url ? link(c.url, c.repository) : escapeMrkdwn(c.repository)}`,
  );
  const footer = [`Revoked by ${escapeMrkdwn(input.by)}`, escapeMrkdwn(input.repository)];
  if (input.jobUrl) footer.push(link(input.jobUrl, 'CircleCI job'));
  if (input.lockPullRequest)
    footer.push(link(input.lockPullRequest.url, `lock file #${input.lockPullRequest.number}`));
  const blocks: KnownBlock[] = [
    header(`Revoked: ${input.image}`),
    section(
      `*Reason:* ${escapeMrkdwn(input.reason)}`,
      input.jobUrl ? { text: 'Open CircleCI job', url: input.jobUrl } : undefined,
    ),
    divider,
    section(`*AMIs taken out of service*\n${lines.join('\n') || '_none_'}`),
    section(
      consumers.length
        ? `*Consumers rolled back*\n${consumers.join('\n')}`
        : '*Consumers rolled back*\n_none: no consumer is configured, or no earlier image to go back to_',
    ),
    context(footer.join(' · ')),
  ];
  return {
    text: fallbackText(
      `Revoked ${input.image} (${input.amis.map((a) => a.imageId).join(', ')}): ${input.reason}`,
    ),
    blocks: limitBlocks(blocks),
  };
}
