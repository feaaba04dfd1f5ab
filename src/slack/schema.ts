/**
 * What the Slack Web API answers to the calls the notifier makes, only the fields it uses.
 * The WebClient has already turned `ok: false` into an error, so these describe successful answers.
 */
import { z } from 'zod';

/** `chat.postMessage` and `chat.update` both answer with the channel id and the message's `ts`. */
export const PostedMessageSchema = z.object({
  ok: z.literal(true),
  channel: z.string().min(1),
  ts: z.string().regex(/^\d+\.\d+$/),
  /** The message as posted: its `bot_id` tells this bot's messages from others' when reading history back. */
  message: z.object({ bot_id: z.string().min(1).optional() }).optional(),
});
export type PostedMessage = z.infer<typeof PostedMessageSchema>;

/** `chat.delete` answers with the channel id and the deleted message's `ts`. */
export const DeletedMessageSchema = z.object({
  ok: z.literal(true),
  channel: z.string().min(1),
  ts: z.string().regex(/^\d+\.\d+$/),
});

/** A page of `conversations.history`; the messages are read by the caller (see duplicate-notice.ts). */
export const HistoryPageSchema = z.object({
  ok: z.literal(true),
  messages: z.array(z.unknown()),
  has_more: z.boolean().optional(),
  response_metadata: z.object({ next_cursor: z.string().optional() }).optional(),
});

/** The body of an `ok: false` answer, as the WebClient attaches it to a platform error (`error.data`). */
export const PlatformErrorDataSchema = z.object({
  error: z.string().min(1),
});
