/** `hephestus config generate`: the continuation configuration for one classified event. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { EventKind } from '../../circleci/classify-event.js';
import {
  type ContinuationEvent,
  EVENT_KINDS,
  generateContinuationConfig,
} from '../../circleci/generate-config.js';
import { InputError } from '../../errors.js';
import { VERSION } from '../../version.js';
import type { CommandContext } from '../run-command.js';

export interface ConfigGenerateOptions {
  event: string;
  out?: string;
  orbVersion?: string;
  context?: string;
}

/** The part of `hephestus event --json` output (a classified event) that decides the continuation. */
const EventFileSchema = z.object({
  kind: z.enum(EVENT_KINDS as [EventKind, ...EventKind[]]),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

/** Generates the configuration; prints it, or writes it to `--out` and prints a summary. */
export async function configGenerateCommand(
  options: ConfigGenerateOptions,
  { logger, json }: CommandContext,
): Promise<void> {
  const event = await readEvent(options.event);
  const continuation = generateContinuationConfig(event, {
    orbVersion: options.orbVersion ?? VERSION,
    ...(options.context !== undefined ? { context: options.context } : {}),
  });
  const summary = {
    ok: true,
    kind: continuation.kind,
    workflow: continuation.workflow,
    job: continuation.job,
  };
  if (options.out !== undefined) {
    await mkdir(dirname(options.out), { recursive: true });
    await writeFile(options.out, continuation.text);
    if (json) logger.result({ ...summary, out: options.out });
    else logger.result(`${options.out}: ${continuation.kind} runs ${continuation.job}`);
    return;
  }
  if (json) logger.result({ ...summary, config: continuation.config });
  else logger.result(continuation.text.trimEnd());
}

/**
 * `--event` is an event kind, or the file `hephestus event --json` wrote (the orb's setup example passes
 * the file, so a manual run's parameters reach the continuation).
 */
async function readEvent(value: string): Promise<ContinuationEvent> {
  if ((EVENT_KINDS as readonly string[]).includes(value)) return { kind: value as EventKind };
  let text: string;
  try {
    text = await readFile(value, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new InputError(
      `not an event kind (${EVENT_KINDS.join(', ')}) nor a readable event file: ${reason}`,
      {
        file: value,
        setting: '--event',
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InputError('the event file is not JSON (write it with `hephestus event --json`)', {
      file: value,
      setting: '--event',
    });
  }
  const result = EventFileSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InputError(
      `the event file is not a classified event: ${issue?.path.join('.') || 'kind'}: ${issue?.message}`,
      {
        file: value,
        setting: '--event',
      },
    );
  }
  return result.data.parameters
    ? { kind: result.data.kind, parameters: result.data.parameters }
    : { kind: result.data.kind };
}
