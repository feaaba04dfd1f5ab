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
});
export type PostedMessage = z.infer<typeof PostedMessageSchema>;

/** The body of an `ok: false` answer, as the WebClient attaches it to a platform error (`error.data`). */
export const PlatformErrorDataSchema = z.object({
  error: z.string().min(1),
});
