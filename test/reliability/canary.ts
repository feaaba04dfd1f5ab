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

const canaryDetector = new Redactor(Object.values(CANARY_ENV));

interface MetaTask {
  meta: { canaryChecked?: number; canaryHits?: number };
}

/** Checks each captured text for the canary in raw, URL-encoded and base64 forms; returns the hits. */
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
