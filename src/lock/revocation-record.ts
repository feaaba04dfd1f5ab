/**
 * revoke's lock-file step: the revocation recorded in the lock file's `revoked` list, and the image's entry
 * pointed at what its channels hold again, through the same lock pull request (or direct push) promote uses.
 */
import { ownImage } from '../aws/own-images.js';
import type { FlowContext } from '../flows/flow-context.js';
import { escapeMarkdown } from '../github/markdown.js';
import type { ChannelRollback, RevokeTarget } from '../images/revoke-images.js';
import type { Checkout } from '../update/checkout.js';
import { emptyLock, type LockEntry, type Revocation, withRevocation } from './lock-file.js';
import { type LockWrite, readLock, writeLock } from './lock-store.js';

export interface RevocationInput {
  image: string;
  targets: readonly RevokeTarget[];
  rollbacks: readonly ChannelRollback[];
  reason: string;
  at: string;
  by: { jobUrl?: string; by: string };
}

/** Writes the revocation into the lock file as configured; an unchanged lock writes nothing. */
export async function recordRevocation(
  context: FlowContext,
  checkout: Checkout,
  input: RevocationInput,
): Promise<LockWrite> {
  const lock = (await readLock(checkout)) ?? emptyLock();
  const revocation: Revocation = {
    image: input.image,
    amis: Object.fromEntries(input.targets.map((t) => [t.region, t.record.imageId])),
    reason: input.reason,
    revoked_at: input.at,
    revoked_by: input.by.jobUrl ?? input.by.by,
  };
  const updated = withRevocation(lock, revocation, await replacementEntry(context, input.rollbacks));
  const file = checkout.config.lock_file;
  const amis = Object.values(revocation.amis).join(', ');
  return writeLock(
    context,
    checkout,
    updated,
    `Record the revocation of ${input.image} in ${file}\n\nRevoked ${amis}: ${input.reason}\n`,
    {
      title: `Revoke ${input.image} in ${file}`,
      intro: [
        `Hephestus revoked ${escapeMarkdown(input.image)} (${amis}): ${escapeMarkdown(input.reason)}.`,
        `This pull request records the revocation in \`${file}\`, so check-lock refuses those AMIs, and names the`,
        'images its channels were rolled back to.',
      ].join('\n'),
    },
  );
}

/**
 * The lock entry of the images the channels hold again, from their own tags (inputs and commit), or undefined
 * when there is none or its tags do not say: the revoked regions are then dropped from the entry.
 */
async function replacementEntry(
  context: FlowContext,
  rollbacks: readonly ChannelRollback[],
): Promise<LockEntry | undefined> {
  const replaced = rollbacks.filter((r) => r.replacement !== undefined);
  const first = replaced[0];
  if (!first?.replacement) return undefined;
  const record = await ownImage(context.ec2For(first.region), first.replacement);
  const { inputHash, gitSha } = record?.tags ?? {};
  if (!inputHash || !gitSha) return undefined;
  return {
    amis: Object.fromEntries(replaced.map((r) => [r.region, r.replacement as string])),
    input_hash: inputHash,
    source_commit: gitSha,
  };
}
