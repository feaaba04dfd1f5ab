/**
 * build-validate's comment on the branch's pull request: a table of the images, the failures and notes, and the
 * hidden validation record promote takes the AMIs from. Pure.
 */
import { sessionCommand } from '../aws/kept-instances.js';
import { codeSpan, escapeMarkdown } from '../github/markdown.js';
import { encodeArtifactRecords, VALIDATION_RECORD, type ValidationRecord } from '../lock/build-record.js';
import type { LockEntry } from '../lock/lock-file.js';
import type { BuildRun, ImageBuildReport } from './image-build.js';

/** What the comment and the record are made from: the run, its outcome and its images. */
export interface BuildOutcome extends BuildRun {
  outcome: string;
  images: readonly ImageBuildReport[];
}

/** The comment's Markdown, record included. */
export function buildComment(build: BuildOutcome): string {
  const record = validationRecord(build);
  const lines = [
    `### Hephestus: ${build.outcome === 'validated' ? 'every image validated' : 'validation failed'}`,
    '',
    `Commit \`${build.sha.slice(0, 12)}\`${build.packerVersion ? `, ${escapeMarkdown(build.packerVersion)}` : ''}.`,
    '',
    '| image | status | region | artifact | smoke tests |',
    '| --- | --- | --- | --- | --- |',
    ...build.images.flatMap(imageRows),
    ...remarks(build.images),
    ...keptInstances(build.images),
    ...gateFindings(build.images),
    '',
    record.outcome === 'validated'
      ? 'Merging promotes exactly these images and records them in the lock file; nothing is rebuilt on the default branch.'
      : 'Fix the cause and push again; AMIs tagged `failed` are never promoted.',
  ];
  const records = artifactRecords(build);
  if (Object.keys(records).length) lines.push('', encodeArtifactRecords(records));
  lines.push('', VALIDATION_RECORD.encode(record));
  return lines.join('\n');
}

/** The image's table rows, one per AMI or artifact. Names, regions, ids and test names come from the branch: all escaped. */
function imageRows(image: ImageBuildReport): string[] {
  const tests = smokeTestCell(image);
  const name = escapeMarkdown(image.image);
  const status = `${image.status}${image.action === 'reused' ? ' (reused)' : ''}`;
  const rows: Array<[string, string]> = [
    ...Object.entries(image.amis).map(([region, ami]): [string, string] => [
      escapeMarkdown(region),
      codeSpan(ami),
    ]),
    ...(image.artifacts ?? []).map((a): [string, string] => [
      '',
      `${escapeMarkdown(a.builder_id)} ${codeSpan(a.id)}`,
    ]),
  ];
  if (rows.length === 0) return [`| ${name} | ${status} | | | ${tests} |`];
  return rows.map(([region, artifact]) => `| ${name} | ${status} | ${region} | ${artifact} | ${tests} |`);
}

/** The failures (Packer's errors come from the branch too) and the notes, each list after a blank line. */
function remarks(images: readonly ImageBuildReport[]): string[] {
  const lines: string[] = [];
  const failures = images.filter((i) => i.failure);
  if (failures.length)
    lines.push(
      '',
      ...failures.map((i) => `- **${escapeMarkdown(i.image)}**: ${escapeMarkdown(i.failure ?? '')}`),
    );
  const notes = images.filter((i) => i.note);
  if (notes.length)
    lines.push('', ...notes.map((i) => `- ${escapeMarkdown(i.image)}: ${escapeMarkdown(i.note ?? '')}`));
  return lines;
}

/** How to reach each failed validation's instance kept to debug, and when it goes. */
function keptInstances(images: readonly ImageBuildReport[]): string[] {
  const kept = images.flatMap(({ image, validation }) =>
    validation?.keptUntil && validation.instanceId
      ? [{ image, instanceId: validation.instanceId, region: validation.region, until: validation.keptUntil }]
      : [],
  );
  if (kept.length === 0) return [];
  return [
    '',
    '**Kept to debug.** Each failed validation instance stays until the time given; connect with Session Manager:',
    '',
    ...kept.map(
      (k) =>
        `- ${escapeMarkdown(k.image)}: ${codeSpan(k.instanceId)} until ${escapeMarkdown(k.until)}: ${codeSpan(sessionCommand(k.instanceId, k.region))}`,
    ),
    '',
    '`hephestus ami sweep` terminates each after that time, and the next validation of the image terminates it at once.',
  ];
}

/**
 * For each failed image the gates caught, the patches not in (KB, classification, severity, state, title) and
 * Inspector's blocking findings: what a reviewer needs to tell a bad base AMI from a broken Windows Update.
 */
function gateFindings(images: readonly ImageBuildReport[]): string[] {
  const lines: string[] = [];
  for (const image of images.filter((i) => i.status === 'failed' && i.validation)) {
    const { missingPatches = [], blockingFindings = [] } = image.validation ?? {};
    if (missingPatches.length > 0) {
      lines.push(
        '',
        `Patches not installed on **${escapeMarkdown(image.image)}**:`,
        '',
        '| KB | classification | severity | state | title |',
        '| --- | --- | --- | --- | --- |',
        ...missingPatches.map(
          (p) =>
            `| ${escapeMarkdown(p.kbId)} | ${escapeMarkdown(p.classification)} | ${escapeMarkdown(p.severity)} | ${escapeMarkdown(p.state)} | ${escapeMarkdown(p.title)} |`,
        ),
      );
    }
    if (blockingFindings.length > 0) {
      lines.push(
        '',
        `Inspector findings on **${escapeMarkdown(image.image)}**:`,
        '',
        ...blockingFindings.map(
          (f) =>
            `- ${escapeMarkdown(f.vulnerabilityId)} (${escapeMarkdown(f.severity)}): ${escapeMarkdown(f.title)}`,
        ),
      );
    }
  }
  return lines;
}

/**
 * The record promote takes AMIs from: the commit, and per image its AMIs and status. `validated` only when
 * every image validated with something to show for it (AMIs in each region, or another builder's artifacts).
 */
export function validationRecord(build: BuildOutcome): ValidationRecord {
  const complete = build.images.every(
    (i) =>
      (i.status === 'validated' && Object.keys(i.amis).length > 0) ||
      (i.status === 'built' && (i.artifacts?.length ?? 0) > 0),
  );
  return {
    sha: build.sha,
    run: build.run,
    outcome: build.outcome === 'validated' && build.images.length > 0 && complete ? 'validated' : 'failed',
    images: Object.fromEntries(
      build.images.map((i) => [
        i.image,
        {
          status: i.status,
          action: i.action === 'reused' || i.action === 'would-reuse' ? 'reused' : 'built',
          input_hash: i.inputHash,
          amis: i.amis,
        },
      ]),
    ),
  };
}

function smokeTestCell(image: ImageBuildReport): string {
  if (image.artifacts) return 'skipped';
  if (!image.validation) return image.status === 'validated' ? 'passed earlier' : '';
  const tests = image.validation.tests;
  const passed = tests.filter((t) => t.outcome === 'passed').length;
  const failed = tests.filter((t) => t.outcome !== 'passed').map((t) => escapeMarkdown(t.name));
  if (!image.validation.passed && failed.length === 0)
    return `failed at ${escapeMarkdown(image.validation.failedStep ?? 'validation')}`;
  return `${passed}/${tests.length} passed${failed.length ? `; failed: ${failed.join(', ')}` : ''}`;
}

/** Lock entries of the non-AMI artifacts, which have no tags to carry them to promote. */
function artifactRecords(build: BuildOutcome): Record<string, LockEntry> {
  return Object.fromEntries(
    build.images
      .filter((i) => i.artifacts)
      .map((i) => [
        i.image,
        {
          amis: {},
          artifacts: i.artifacts,
          input_hash: i.inputHash,
          source_commit: build.sha,
          packer_version: build.packerVersion,
          validation: { run: build.run, url: build.runUrl },
        } satisfies LockEntry,
      ]),
  );
}
