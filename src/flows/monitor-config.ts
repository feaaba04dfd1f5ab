/**
 * The `monitor:` section of hephestus.yml (`hephestus run monitor`). Kept apart from config-schema.ts until it
 * is wired in there; {@link parseMonitorConfig} reads it from the configuration text either way: it blanks
 * the section out (keeping every line and column, so other errors point at the right place), validates the
 * rest with the main schema and the section with its own.
 */
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import type { HephestusConfig } from '../config/config-schema.js';
import { parseConfig } from '../config/load-config.js';
import { InputError } from '../errors.js';

export const MonitorConfigSchema = z
  .strictObject({
    auto_merge: z
      .boolean()
      .default(false)
      .describe(
        'Merge an update PR once its head commit validated, every check passed, nobody requested changes and GitHub can merge it.',
      ),
    require_approval: z
      .boolean()
      .default(false)
      .describe('Merge only what at least one reviewer approved (branch protection may require it anyway).'),
    stale_after_days: z
      .number()
      .positive()
      .default(7)
      .describe('An update PR open longer than this gets one reminder in Slack.'),
    reminder_channels: z
      .array(z.string().min(1))
      .optional()
      .describe('Channels for the stale reminder; `slack.channels.ready_to_merge` by default.'),
  })
  .describe('Watching the open update pull requests (`hephestus run monitor`).');

export type MonitorConfig = z.output<typeof MonitorConfigSchema>;

/** The main configuration and the monitor's section of one hephestus.yml text; InputError names line and setting. */
export function parseMonitorConfig(
  text: string,
  file: string,
): { config: HephestusConfig; monitor: MonitorConfig } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, prettyErrors: false });
  const pair = isMap(doc.contents)
    ? doc.contents.items.find((item) => isScalar(item.key) && item.key.value === 'monitor')
    : undefined;
  if (!pair || doc.errors.length > 0 || !isScalar(pair.key) || !pair.key.range) {
    return { config: parseConfig(text, file), monitor: MonitorConfigSchema.parse({}) };
  }
  const start = pair.key.range[0];
  const end = (pair.value as { range?: [number, number, number] } | null)?.range?.[2] ?? pair.key.range[2];
  const bom = text.startsWith('\uFEFF') ? 1 : 0;
  const blanked =
    text.slice(0, start + bom) +
    text.slice(start + bom, end + bom).replace(/[^\n]/g, ' ') +
    text.slice(end + bom);
  const config = parseConfig(blanked, file);
  const result = MonitorConfigSchema.safeParse(
    pair.value === null ? {} : (doc.toJS() as { monitor: unknown }).monitor,
  );
  if (result.success) return { config, monitor: result.data };
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  const path = ['monitor', ...issue.path.map(String)];
  const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
  const at = lineCounter.linePos(node?.range?.[0] ?? start);
  const setting = issue.code === 'unrecognized_keys' ? `${path.join('.')}.${issue.keys[0]}` : path.join('.');
  throw new InputError(issue.message, { file, line: at.line, column: at.col, setting });
}
