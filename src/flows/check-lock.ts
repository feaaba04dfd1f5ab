/**
 * check-lock (every pull request): every AMI the lock file names must still exist, be available, be tagged
 * `validated` and not be revoked (by its tags or by the lock's own `revoked` records); otherwise the check fails (exit 1) naming the image and region. Artifacts of other
 * builders have nothing on AWS to look at and are listed as skipped.
 */
import { revokedReason } from '../aws/image-tags.js';
import { ownImage } from '../aws/own-images.js';
import { ExitCode } from '../errors.js';
import { type LockFile, revocationOf } from '../lock/lock-file.js';
import { readLock } from '../lock/lock-store.js';
import { checkOut } from '../update/checkout.js';
import { type FlowContext, startReport } from './flow-context.js';
import type { FlowReportBase } from './flow-report.js';

export interface LockCheck {
  image: string;
  region?: string;
  ami?: string;
  outcome: 'validated' | 'missing' | 'not-available' | 'not-validated' | 'revoked' | 'skipped';
  detail?: string;
}

export interface CheckLockReport extends FlowReportBase {
  flow: 'check-lock';
  outcome: 'passed' | 'failed' | 'no-lock-file';
  file: string;
  checks: LockCheck[];
}

/** Runs check-lock on `--branch` (default: the default branch). */
export async function checkLock(context: FlowContext): Promise<CheckLockReport> {
  const repository = context.repository();
  const checkout = await checkOut(context, { repository, branch: context.branch() });
  const report = startReport<CheckLockReport>(context, repository, {
    flow: 'check-lock',
    outcome: 'passed',
    file: checkout.config.lock_file,
    checks: [],
  });
  const lock = await readLock(checkout);
  if (!lock) {
    report.outcome = 'no-lock-file';
    report.summary.push(
      `${checkout.config.lock_file} does not exist on ${checkout.branch}: nothing to check`,
    );
    return report;
  }
  for (const [image, entry] of Object.entries(lock.images).sort(([a], [b]) => a.localeCompare(b))) {
    for (const [region, ami] of Object.entries(entry.amis).sort(([a], [b]) => a.localeCompare(b)))
      report.checks.push(await checkAmi(context, lock, image, region, ami));
    for (const artifact of entry.artifacts ?? []) {
      report.checks.push({
        image,
        outcome: 'skipped',
        detail: `${artifact.builder_id} ${artifact.id}: not an AMI, nothing to check`,
      });
    }
  }
  const bad = report.checks.filter((c) => c.outcome !== 'validated' && c.outcome !== 'skipped');
  report.summary.push(
    ...report.checks.map(
      (c) =>
        `${c.image}${c.region ? ` ${c.region}` : ''}${c.ami ? ` ${c.ami}` : ''}: ${c.outcome}${c.detail ? ` (${c.detail})` : ''}`,
    ),
  );
  if (bad.length) {
    report.outcome = 'failed';
    report.exitCode = ExitCode.failure;
    context.logger.error(
      `${checkout.config.lock_file} names images that are not usable: ${bad.map((c) => `${c.image} in ${c.region} (${c.ami}: ${c.outcome})`).join(', ')}`,
    );
  }
  return report;
}

async function checkAmi(
  context: FlowContext,
  lock: LockFile,
  image: string,
  region: string,
  ami: string,
): Promise<LockCheck> {
  const revocation = revocationOf(lock, ami);
  if (revocation)
    return {
      image,
      region,
      ami,
      outcome: 'revoked',
      detail: `revoked at ${revocation.revoked_at}: ${revocation.reason}`,
    };
  const record = await ownImage(context.ec2For(region), ami);
  if (!record) return { image, region, ami, outcome: 'missing', detail: 'no such AMI in this account' };
  if (record.tags.status === 'revoked')
    return { image, region, ami, outcome: 'revoked', detail: revokedReason(record.tags) };
  if (record.state !== 'available')
    return { image, region, ami, outcome: 'not-available', detail: `state ${record.state}` };
  if (record.tags.status !== 'validated')
    return {
      image,
      region,
      ami,
      outcome: 'not-validated',
      detail: `status ${record.tags.status ?? 'untagged'}`,
    };
  return { image, region, ami, outcome: 'validated' };
}
