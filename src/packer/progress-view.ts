/**
 * A readable view of a running build: Packer's `ui` lines become events (build, step, elapsed time) and
 * events become short terminal lines, instead of the raw machine-readable stream.
 */
import type { PackerLine } from './machine-readable.js';

export type ProgressLevel = 'step' | 'output' | 'error' | 'stderr';

export interface ProgressEvent {
  /** The build the line belongs to; undefined for Packer's run-wide lines. */
  build?: string;
  /** The post-processor speaking, when one is (`==> null.x (shell-local): ...`). */
  postProcessor?: string;
  /** `step` for Packer's `==>` lines, `output` for provisioner output, `error` for errors. */
  level: ProgressLevel;
  text: string;
  /** Milliseconds since the build started. */
  elapsedMs: number;
}

const PREFIXED = /^(==> |--> | {4})([^\s:()]+)(?: \(([^)]*)\))?: ([\s\S]*)$/;

/** The progress event of a `ui` line; undefined for other lines and empty ones. */
export function progressEventOf(line: PackerLine, elapsedMs: number): ProgressEvent | undefined {
  if (line.type !== 'ui') return undefined;
  const kind = line.data[0];
  const raw = line.data
    .slice(1)
    .join(',')
    .replace(/^[\r\n]+/, '');
  if (raw.trim() === '') return undefined;
  const match = PREFIXED.exec(raw);
  const level: ProgressLevel =
    kind === 'error' ? 'error' : match?.[1] === '    ' || kind === 'message' ? 'output' : 'step';
  if (!match) return { level, text: raw.replace(/^==> /, '').trimEnd(), elapsedMs };
  const event: ProgressEvent = {
    build: match[2] as string,
    level,
    text: (match[4] as string).trimEnd(),
    elapsedMs,
  };
  if (match[3] !== undefined) event.postProcessor = match[3];
  return event;
}

export interface ProgressViewOptions {
  /** Show provisioner output too, not only steps and errors. */
  verbose?: boolean;
}

/** Terminal lines for an event (one per line of its text); none for output unless verbose. */
export function renderProgress(event: ProgressEvent, options: ProgressViewOptions = {}): string[] {
  if (event.level === 'output' && !options.verbose) return [];
  const who =
    event.build === undefined
      ? 'packer'
      : event.postProcessor
        ? `${event.build} (${event.postProcessor})`
        : event.build;
  const mark =
    event.level === 'error' || event.level === 'stderr' ? '!' : event.level === 'output' ? ' ' : '>';
  const head = `[${formatElapsed(event.elapsedMs)}] ${mark} ${who}: `;
  const indent = ' '.repeat(head.length);
  return event.text.split(/\r?\n/).map((text, i) => `${i === 0 ? head : indent}${text}`.trimEnd());
}

/** `mm:ss`, or `h:mm:ss` past an hour. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const seconds = String(total % 60).padStart(2, '0');
  const minutes = Math.floor(total / 60) % 60;
  const hours = Math.floor(total / 3600);
  return hours > 0
    ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}`
    : `${String(minutes).padStart(2, '0')}:${seconds}`;
}
