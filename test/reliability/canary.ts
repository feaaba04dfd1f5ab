/**
 * The canary: a distinct fake token in every secret variable, and the count of its appearances in everything
 * the suite captured. Each test records what it checked in its task meta; the figures reporter sums it.
 */
import { randomBytes } from 'node:crypto';
import { Redactor } from '../../src/log/redact.js';

declare module 'vitest' {
  interface TaskMeta {
    /** Which figure the test counts towards. */
    figure?: 'fault' | 'hostile';
    /** Outputs (stdout, stderr, files, messages) checked for the canary. */
    canaryChecked?: number;
    /** Outputs in which some form of the canary appeared. */
    canaryHits?: number;
  }
}

/** The variables that hold secrets; each gets its own canary value. */
export const CANARY_VARIABLES = [
  'GITHUB_TOKEN',
  'PASSWORD',
  'CIRCLE_TOKEN',
  'CCI_PASSWORD',
  'SLACK_ACCESS_TOKEN',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
] as const;

/** Random per run, so no fixture or snapshot can contain it by accident. */
export const CANARY_ENV: Record<string, string> = Object.fromEntries(
  CANARY_VARIABLES.map((name) => [name, `canary-${name.toLowerCase()}-${randomBytes(12).toString('hex')}`]),
);

/**
 * The forms branch code can turn a secret into, which an exact-match redactor does not know: reversed,
 * upper-cased, lower-cased, `_` and `-` swapped, and combinations. Only the absence of the token from branch
 * code keeps these out of the output; the sweep looks for them so that a token reaching it shows.
 */
export function transformedForms(secret: string): string[] {
  const reverse = (text: string) => [...text].reverse().join('');
  const swaps = (text: string) => [text, text.replaceAll('_', '-'), text.replaceAll('-', '_')];
  const cases = (text: string) => [text, text.toUpperCase(), text.toLowerCase()];
  return [
    ...new Set(
      swaps(secret)
        .flatMap(cases)
        .flatMap((form) => [form, reverse(form)]),
    ),
  ];
}

/** A detector of every value in raw, URL-encoded and base64 forms, and of each of their transformed forms. */
export function detectorOf(values: Iterable<string | undefined>): Redactor {
  return new Redactor([...values].flatMap((value) => (value ? transformedForms(value) : [])));
}

const canaryDetector = detectorOf(Object.values(CANARY_ENV));

interface MetaTask {
  meta: { canaryChecked?: number; canaryHits?: number };
}

/** Checks each captured text for the canary in raw, URL-encoded, base64 and transformed forms; returns the hits. */
export function checkCanary(task: MetaTask, ...captured: string[]): number {
  return checkSecrets(task, canaryDetector, ...captured);
}

/** The same check for other secrets (the sandbox's own tokens, which its services insist on). */
export function checkSecrets(task: MetaTask, secrets: Redactor, ...captured: string[]): number {
  const hits = captured.filter((text) => secrets.leaks(text)).length;
  task.meta.canaryChecked = (task.meta.canaryChecked ?? 0) + captured.length;
  task.meta.canaryHits = (task.meta.canaryHits ?? 0) + hits;
  return hits;
}
