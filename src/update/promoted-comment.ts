/**
 * promote's comment on the merged pull request: the AMIs promoted, the consumers started, and the hidden memory
 * of the pipelines it triggered (per `projectSlug@branch`), so a re-run does not trigger them twice. Pure.
 */
import { z } from 'zod';
import { hiddenBlock } from '../github/hidden-state.js';
import { codeSpan, escapeMarkdown } from '../github/markdown.js';
import type { RegionalAmis } from '../images/image-set.js';

/** The comment kind promote writes on the merged pull request. */
export const PROMOTE_COMMENT_KEY = 'promote';

/** The pipelines triggered, per `projectSlug@branch`: the pipeline and the images parameter it was given. */
export type TriggeredPipelines = Record<string, { id: string; images: string }>;

const TRIGGERED = hiddenBlock(
  'triggered',
  z.record(z.string(), z.strictObject({ id: z.string(), images: z.string() })),
);

/** The pipelines a promote comment remembers; none when it has no (valid) block. */
export function triggeredPipelines(body: string | undefined): TriggeredPipelines {
  return TRIGGERED.decode(body ?? '') ?? {};
}

/** What the comment shows. */
export interface PromotedSummary {
  channel?: string;
  images: ReadonlyArray<{ image: string; amis: RegionalAmis }>;
  consumers: ReadonlyArray<{ repository: string; mode: 'trigger' | 'pull-request'; projectSlug?: string }>;
}

/** The comment's Markdown, memory included. */
export function promotedComment(promoted: PromotedSummary, triggered: TriggeredPipelines): string {
  const lines = [
    `### Hephestus: promoted to ${escapeMarkdown(promoted.channel ?? '')}`,
    '',
    '| image | region | AMI |',
    '| --- | --- | --- |',
  ];
  for (const image of promoted.images) {
    for (const [region, ami] of Object.entries(image.amis))
      lines.push(`| ${escapeMarkdown(image.image)} | ${escapeMarkdown(region)} | ${codeSpan(ami)} |`);
  }
  lines.push(
    '',
    'Consumers:',
    ...promoted.consumers.map(
      (c) =>
        `- ${escapeMarkdown(c.repository)}: ${c.mode === 'trigger' ? `pipeline of ${escapeMarkdown(c.projectSlug ?? '')}` : 'pull request'}`,
    ),
  );
  lines.push('', TRIGGERED.encode(triggered));
  return lines.join('\n');
}
