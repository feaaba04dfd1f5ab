/** `hephestus packer parse` and `hephestus packer build`. */
import { readFile } from 'node:fs/promises';
import { ExitCode, InputError } from '../../errors.js';
import { mergePackerResults, type PackerResult } from '../../packer/artifacts.js';
import { parseManifest } from '../../packer/manifest.js';
import { parsePackerLog, parsePackerLogFile } from '../../packer/parse-log.js';
import type { CommandContext, CommonOptions } from '../run-command.js';

/** The options of `hephestus packer build`, as commander parses them. */
export interface PackerBuildCliOptions {
  var: string[];
  varFile: string[];
  only?: string;
  passEnv: string[];
  out: string;
  log: string;
}

/** Parses a machine-readable log (and a manifest); exit 1 when a build errored. */
export async function packerParseCommand(
  log: string,
  options: { manifest?: string },
  { logger, json }: CommandContext,
): Promise<ExitCode> {
  let result = await readLog(log);
  if (options.manifest) {
    const text = await readFile(options.manifest, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new InputError(
        error.code === 'ENOENT' ? 'manifest not found' : `cannot read manifest (${error.code})`,
        {
          file: options.manifest,
        },
      );
    });
    result = mergePackerResults(result, parseManifest(text, options.manifest));
  }
  if (json) logger.result(result);
  else logger.result(describeResult(result));
  return result.errors.length > 0 ? ExitCode.failure : ExitCode.ok;
}

/** Runs packer with a progress view; writes the parsed result; exit 1 when a build errored. */
export async function packerBuildCommand(
  template: string,
  options: CommonOptions & PackerBuildCliOptions,
  { logger, json }: CommandContext,
): Promise<ExitCode> {
  // Loaded here, not at the top: `packer parse` shares this module and starts faster without child_process.
  const [{ runPackerBuild }, { renderProgress }, { passThroughRefusal }, { packerCredentials }] =
    await Promise.all([
      import('../../packer/packer-build.js'),
      import('../../packer/progress-view.js'),
      import('../../packer/packer-environment.js'),
      import('../../aws/packer-credentials.js'),
    ]);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for (const name of options.passEnv) {
      const refusal = passThroughRefusal(name);
      if (refusal) throw new InputError(refusal, { setting: '--pass-env' });
    }
    const outcome = await runPackerBuild({
      template,
      passEnv: options.passEnv,
      vars: options.var,
      varFiles: options.varFile,
      ...(options.only ? { only: options.only.split(',') } : {}),
      logFile: options.log,
      outFile: options.out,
      // HEPHESTUS_PACKER_AWS_* mean the same here as in build-validate: Packer runs with the Packer role.
      env: packerCredentials(process.env).env,
      redact: (text) => logger.redact(text),
      signal: abort.signal,
      onProgress: (event) => {
        for (const line of renderProgress(event, { verbose: options.verbose })) logger.write(`${line}\n`);
      },
    });
    if (json) logger.result(outcome.result);
    else logger.result(describeResult(outcome.result));
    return outcome.exitCode;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

async function readLog(log: string): Promise<PackerResult> {
  if (log === '-') return parsePackerLog(process.stdin);
  try {
    return await parsePackerLogFile(log);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
      throw new InputError(code === 'ENOENT' ? 'log file not found' : `cannot read log (${code})`, {
        file: log,
      });
    }
    throw error;
  }
}

/** A person's view of a result: one line per artifact and per error. */
export function describeResult(result: PackerResult): string {
  const lines: string[] = [];
  for (const build of result.builds) {
    if (build.artifacts.length === 0) lines.push(`${build.name}: no artifacts`);
    for (const artifact of build.artifacts) {
      if (artifact.images) {
        for (const image of artifact.images) lines.push(`${build.name}: ${image.region} ${image.ami}`);
      } else {
        lines.push(`${build.name}: ${artifact.builderId} ${artifact.id || '(no id)'}`);
      }
    }
  }
  for (const error of result.errors) lines.push(`${error.build || 'packer'}: ERROR ${error.message}`);
  return lines.length > 0 ? lines.join('\n') : 'no builds found in the log';
}
