/**
 * Runs `packer build -machine-readable`: tees the log (redacted) to a file, turns `ui` lines into progress
 * events, parses artifacts and errors as the lines arrive, and writes the result. Packer's machine-readable mode
 * does not filter secrets, so every line is redacted before it is written, shown or parsed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { ExitCode, InputError } from '../errors.js';
import { type PackerResult, PackerResultCollector } from './artifacts.js';
import { formatMachineReadableLine, parseMachineReadableLine } from './machine-readable.js';
import { packerEnvironment } from './packer-environment.js';
import { truncatedLineError } from './parse-log.js';
import { type ProgressEvent, progressEventOf } from './progress-view.js';

/** How long to wait for the rest of packer's output once it has exited. */
const OUTPUT_GRACE_MS = 2000;

export interface PackerBuildOptions {
  /** A template file (`.pkr.hcl`, `.json`) or a directory of HCL2 files. */
  template: string;
  /** `-var` values: a map, or `key=value` strings as given on the command line. */
  vars?: Readonly<Record<string, string>> | readonly string[];
  varFiles?: readonly string[];
  /** `-only`: build names, e.g. `amazon-ebs.win2022`. */
  only?: string | readonly string[];
  /** Where to tee the raw (redacted) machine-readable log. */
  logFile?: string;
  /** Where to write the parsed result as JSON. */
  outFile?: string;
  /** The packer executable; `packer` on PATH by default. */
  packerBin?: string;
  cwd?: string;
  /** Environment on top of this process's; Packer sees only its allowlisted part (see packer-environment.ts). */
  env?: NodeJS.ProcessEnv;
  /** Further variable names Packer may see (`packer.pass_env`); names that may hold a token are never passed. */
  passEnv?: readonly string[];
  onProgress?: (event: ProgressEvent) => void;
  /** Removes secrets from a piece of text; applied to every line before anything else sees it. */
  redact: (text: string) => string;
  /** Aborting sends packer SIGTERM, which makes it cancel its builds cleanly. */
  signal?: AbortSignal;
}

export interface PackerBuildOutcome {
  result: PackerResult;
  /** 0 when packer succeeded and no build errored, 1 otherwise. */
  exitCode: ExitCode;
  /** Packer's own exit code; null when it was stopped by a signal. */
  packerExitCode: number | null;
  packerSignal: NodeJS.Signals | null;
}

/** The arguments of `packer build` for the options. */
export function packerBuildArgs(
  options: Pick<PackerBuildOptions, 'template' | 'vars' | 'varFiles' | 'only'>,
): string[] {
  const args = ['build', '-machine-readable', '-color=false'];
  const vars = options.vars ?? [];
  const pairs = Array.isArray(vars)
    ? (vars as readonly string[])
    : Object.entries(vars).map(([key, value]) => `${key}=${value}`);
  for (const pair of pairs) args.push('-var', pair);
  for (const file of options.varFiles ?? []) args.push(`-var-file=${file}`);
  const only = typeof options.only === 'string' ? [options.only] : (options.only ?? []);
  if (only.length > 0) args.push(`-only=${only.join(',')}`);
  args.push(options.template);
  return args;
}

/** Runs packer build; resolves when packer has exited and the log and result files are written. */
export async function runPackerBuild(options: PackerBuildOptions): Promise<PackerBuildOutcome> {
  const started = Date.now();
  const collector = new PackerResultCollector();
  const log = options.logFile ? createWriteStream(options.logFile) : undefined;
  if (log) await waitForOpen(log, options.logFile as string);

  const child = spawn(options.packerBin ?? 'packer', packerBuildArgs(options), {
    cwd: options.cwd,
    env: packerEnvironment({ ...process.env, ...options.env }, options.passEnv),
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: options.signal,
    killSignal: 'SIGTERM',
  });
  const lines = lineHandlers(options, collector, log, started);
  const stdout = new LineSplitter(lines.stdout);
  const stderr = new LineSplitter(lines.stderr);
  child.stdout.on('data', (chunk: Buffer) => stdout.write(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.write(chunk));

  const { code, signal } = await packerExit(child, options.packerBin ?? 'packer').catch(
    async (error: unknown) => {
      await closeLog(log);
      throw error;
    },
  );
  // A grandchild a provisioner left behind (a cancelled `sleep`) keeps the pipes open after packer exits, so
  // wait for the rest of the output only briefly.
  await drain([child.stdout, child.stderr], OUTPUT_GRACE_MS);

  const cut = stdout.end();
  if (cut !== undefined) {
    const line = options.redact(cut);
    log?.write(line);
    const error = truncatedLineError(line);
    collector.addError(error.build, error.message);
  }
  const stderrRest = stderr.end();
  if (stderrRest !== undefined) lines.stderr(stderrRest);
  const result = finalResult(collector, code, signal);
  await closeLog(log);
  if (options.outFile) await writeFile(options.outFile, `${JSON.stringify(result, null, 2)}\n`);
  const failed = result.errors.length > 0 || code !== 0;
  return {
    result,
    exitCode: failed ? ExitCode.failure : ExitCode.ok,
    packerExitCode: code,
    packerSignal: signal,
  };
}

/** What becomes of each line: redacted first, then logged, parsed into the result and shown as progress. */
function lineHandlers(
  options: Pick<PackerBuildOptions, 'redact' | 'onProgress'>,
  collector: PackerResultCollector,
  log: WriteStream | undefined,
  started: number,
): { stdout: (raw: string) => void; stderr: (raw: string) => void } {
  return {
    stdout: (raw) => {
      const line = redactLine(raw, options.redact);
      log?.write(`${line}\n`);
      const parsed = parseMachineReadableLine(line);
      if (!parsed) return;
      collector.add(parsed);
      const event = progressEventOf(parsed, Date.now() - started);
      if (event) options.onProgress?.(event);
    },
    stderr: (raw) => {
      const line = options.redact(raw);
      log?.write(`${line}\n`);
      if (line.trim() !== '')
        options.onProgress?.({ level: 'stderr', text: line, elapsedMs: Date.now() - started });
    },
  };
}

/** Packer's exit code and signal; a missing executable is the user's to fix (InputError). */
function packerExit(
  child: ChildProcess,
  bin: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.name === 'AbortError') return;
      if (error.code === 'ENOENT')
        reject(
          new InputError(`packer not found: ${bin} (install Packer or set its path)`, {
            setting: 'packer',
          }),
        );
      else reject(error);
    });
    child.on('exit', (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal }));
  });
}

/** The collected result, with an error for a stop by signal or a failing exit that named none. */
function finalResult(
  collector: PackerResultCollector,
  code: number | null,
  signal: NodeJS.Signals | null,
): PackerResult {
  if (signal) collector.addError('', `packer was stopped by ${signal}`);
  const result = collector.result();
  if (signal || code === 0 || result.errors.length > 0) return result;
  collector.addError('', `packer exited with code ${code} without naming an error`);
  return collector.result();
}

/**
 * Redacts a raw line. A secret with a comma or a newline appears escaped in the raw line, so the unescaped
 * fields are redacted too and the line is escaped again when that removed anything.
 */
export function redactLine(raw: string, redact: (text: string) => string): string {
  const line = redact(raw);
  const parsed = parseMachineReadableLine(line);
  if (!parsed) return line;
  const data = parsed.data.map((field) => redact(field));
  if (data.every((field, i) => field === parsed.data[i])) return line;
  return formatMachineReadableLine({ ...parsed, data });
}

/** Splits a byte stream into UTF-8 lines without their line breaks (`\r\n` included). */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';

  constructor(private readonly onLine: (line: string) => void) {}

  write(chunk: Buffer): void {
    const text = this.rest + this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.onLine(text.slice(start, end));
      start = nl + 1;
    }
    this.rest = text.slice(start);
  }

  /** What is left after the last line break, if anything. */
  end(): string | undefined {
    const rest = this.rest + this.decoder.end();
    this.rest = '';
    return rest.replace(/\r$/, '') === '' ? undefined : rest;
  }
}

/** Waits until the streams end, or the grace period is over, and then stops reading them. */
async function drain(streams: Readable[], graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ended = Promise.all(
    streams.map((stream) =>
      stream.readableEnded || stream.destroyed ? undefined : finished(stream).catch(() => undefined),
    ),
  );
  await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
  for (const stream of streams) stream.destroy();
}

function waitForOpen(stream: WriteStream, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) =>
      reject(new InputError(`cannot write the log: ${error.message}`, { file }, { cause: error })),
    );
  });
}

function closeLog(log: WriteStream | undefined): Promise<void> {
  if (!log) return Promise.resolve();
  return new Promise((resolve, reject) => {
    log.once('error', reject);
    log.end(() => resolve());
  });
}
