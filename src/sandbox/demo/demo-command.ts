/** `hephestus demo`: the lifecycle on the sandbox, narrated; `--keep` leaves the sandbox up afterwards. */
import type { CommandContext } from '../../cli/run-command.js';
import { ExitCode } from '../../errors.js';
import { runDemo } from './demo.js';
import { Narrator } from './narrator.js';

/** Runs the demo; with `--json` the narration goes to standard error and the summary to standard output. */
export async function demoCommand(
  options: { keep?: boolean },
  { logger, json }: CommandContext,
): Promise<ExitCode> {
  const narrator = new Narrator((text) => (json ? process.stderr : process.stdout).write(text));
  const started = Date.now();
  const { summary, sandbox } = await runDemo({ keep: options.keep === true, narrator });
  narrator.line(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  if (json) logger.result(summary);
  if (options.keep) {
    narrator.line('The sandbox stays up until Ctrl-C. Its environment:');
    for (const [key, value] of Object.entries(sandbox.env)) narrator.line(`export ${key}='${value}'`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
  await sandbox.stop();
  return summary.ok ? ExitCode.ok : ExitCode.failure;
}
