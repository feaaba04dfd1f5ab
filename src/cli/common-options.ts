/**
 * The options several commands share, declared once. A command adds one with `.addOption(sharedOption(...))`
 * where it belongs in its own list (the order is the order of its --help), and may say in its own words what
 * the option does there (`--dry-run` prints a request in one command and lists deletions in another).
 */
import { type Command, Option } from 'commander';

/** Appends a repeatable option's value. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Appends a repeatable option's value; commas separate several values in one. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

interface SharedOptionSpec {
  flags: string;
  description: string;
  /** For repeatable options: how a value joins the ones before it, starting from `[]`. */
  repeat?: (value: string, previous: string[]) => string[];
}

export const SHARED_OPTIONS = {
  json: {
    flags: '--json',
    description: 'print one JSON document on standard output (logs go to standard error)',
  },
  verbose: { flags: '--verbose', description: 'debug logging (redacted)' },
  config: {
    flags: '--config <file>',
    description: 'the hephestus configuration (default: hephestus.yml when present)',
  },
  dryRun: { flags: '--dry-run', description: 'show what would change; change nothing' },
  region: {
    flags: '--region <region>',
    description: 'AWS region (repeatable or comma-separated; default AWS_REGION)',
    repeat: collectList,
  },
  repository: {
    flags: '--repository <owner/name>',
    description: 'the repository (default: github.repository)',
  },
} as const satisfies Record<string, SharedOptionSpec>;

export type SharedOptionName = keyof typeof SHARED_OPTIONS;

/** A new commander Option for the shared option `name`, with this command's `description` if it has one. */
export function sharedOption(name: SharedOptionName, description?: string): Option {
  const spec: SharedOptionSpec = SHARED_OPTIONS[name];
  const option = new Option(spec.flags, description ?? spec.description);
  return spec.repeat ? option.default([]).argParser(spec.repeat) : option;
}

/** Adds the options every reporting command ends its list with: `--json` and `--verbose`. */
export function withCommonOptions(command: Command): Command {
  return command.addOption(sharedOption('json')).addOption(sharedOption('verbose'));
}
