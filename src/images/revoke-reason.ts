/**
 * The reason and job link revoke records: untrusted text (a pipeline parameter anyone who can trigger the job
 * sets) that ends up in AMI tags, the lock file, Slack and consumers' pull requests. Pure.
 */
import { InputError } from '../errors.js';

/** At most this many characters: an EC2 tag value holds 256, and one reason is written everywhere alike. */
export const MAX_REASON = 256;

// Control characters (newlines included) and invisible format characters such as bidi overrides, which could
// make a tag or a notice read differently from what it holds.
const HIDDEN = /[\p{Cc}\p{Cf}\u2028\u2029]+/gu;
const HAS_HIDDEN = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/** `text` on one line: control and format characters become spaces, runs of spaces one, no edges. */
export function oneLine(text: string): string {
  return text.replace(HIDDEN, ' ').replace(/\s+/g, ' ').trim();
}

/** The reason `--reason` gives, cleaned; InputError (exit 2) when it is missing, empty or too long. */
export function revokeReason(given: string | undefined): string {
  const reason = oneLine(given ?? '');
  if (!reason) {
    throw new InputError(
      'revoke needs a reason: pass --reason (it goes on the AMIs, the lock file and the notice)',
      {
        setting: '--reason',
      },
    );
  }
  const length = [...reason].length;
  if (length > MAX_REASON) {
    throw new InputError(
      `the reason is ${length} characters long; at most ${MAX_REASON} fit an AMI tag: shorten it and link to the details`,
      { setting: '--reason' },
    );
  }
  return reason;
}

/** An http(s) URL of at most 256 characters, or undefined: what may be shown as a link to a job. */
export function jobLink(given: string | undefined): string | undefined {
  const text = (given ?? '').trim();
  if (!text || text.length > MAX_REASON || HAS_HIDDEN.test(text)) return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
