/**
 * Where a Slack message went, kept as a hidden HTML comment in a pull request's body or comment, so a re-run
 * finds the message to update instead of posting a second one:
 *
 *     <!-- hephestus:slack {"event":"update_opened","channel":"#execution-teams","id":"C0123","ts":"1700000000.000100"} -->
 *
 * Pure: text in, text out. GitHub renders no HTML comments, so the marker stays invisible in the PR.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { hiddenBlock } from '../github/hidden-state.js';
import type { SlackEvent } from './slack-messages.js';

/** A posted message: `channel` is the configured name (the memory key), `id` and `ts` what Slack answered. */
export interface SlackMessageRef {
  event: SlackEvent;
  channel: string;
  id: string;
  ts: string;
  /** A digest of the content last sent (see {@link messageDigest}): a re-run with the same content sends nothing. */
  digest?: string;
}

const MarkerSchema = z.object({
  event: z.enum(['update_opened', 'ready_to_merge', 'rollout', 'failed', 'revoked']),
  channel: z.string().min(1),
  id: z.string().min(1),
  ts: z.string().regex(/^\d+\.\d+$/),
  digest: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .optional(),
});

/** The hidden block, through the one codec of hidden state (escaping, schema check). */
const MARKER = hiddenBlock('slack', MarkerSchema);

/** The marker comment for one message. */
export function encodeSlackMarker(ref: SlackMessageRef): string {
  const fields = { event: ref.event, channel: ref.channel, id: ref.id, ts: ref.ts, digest: ref.digest };
  return MARKER.encode(fields);
}

/** Every well-formed marker in `text`, in order; malformed ones (hand-edited bodies) are skipped. */
export function decodeSlackMarkers(text: string): SlackMessageRef[] {
  return MARKER.decodeAll(text);
}

/** `text` with the marker for `ref`'s event and channel set to `ref`: replaced in place, or appended. */
export function withSlackMarker(text: string, ref: SlackMessageRef): string {
  const marker = encodeSlackMarker(ref);
  let replaced = false;
  const updated = MARKER.replaceAll(text, (existing, whole) => {
    if (!existing || existing.event !== ref.event || existing.channel !== ref.channel) return whole;
    if (replaced) return '';
    replaced = true;
    return marker;
  });
  if (replaced) return updated;
  return text === '' ? marker : `${text.replace(/\n*$/, '')}\n\n${marker}`;
}

/** A short digest of a message's content (text and blocks), as a marker keeps it. */
export function messageDigest(message: { text: string; blocks?: unknown }): string {
  return createHash('sha256')
    .update(JSON.stringify([message.text, message.blocks ?? null]))
    .digest('hex')
    .slice(0, 16);
}
