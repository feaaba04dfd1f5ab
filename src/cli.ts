/**
 * The `hephestus` command line, and the composition root: it builds the program and lets each command group
 * register itself. A group's module holds only its commander declarations; its handler, and with it every
 * heavy client (AWS SDK, Octokit, Slack), is imported inside the action, so `hephestus --help` loads commander
 * and the command table only (scripts/build.ts splits the bundle along those imports).
 *
 * The sandbox boundary: this is the only product file that imports anything under src/sandbox/, and only
 * src/sandbox/commands.ts (`sandbox up` and `demo`, the stand-in world's own commands). Nothing else in the
 * product may import the sandbox.
 */
import { register as registerAmi } from './cli/commands/ami.js';
import { register as registerConfig } from './cli/commands/config.js';
import { register as registerEdit } from './cli/commands/edit.js';
import { register as registerEvent } from './cli/commands/event.js';
import { register as registerNotify } from './cli/commands/notify.js';
import { register as registerPacker } from './cli/commands/packer.js';
import { register as registerPr } from './cli/commands/pr.js';
import { register as registerRun } from './cli/commands/run.js';
import { register as registerTrigger } from './cli/commands/trigger.js';
import { createProgram, parseArguments } from './cli/program.js';
import { register as registerSandbox } from './sandbox/commands.js';

// NODE_DEBUG=child_process prints every child's environment: stderr is redacted before any child starts (see
// the module). Loaded only then, so a plain start carries no redactor.
if (process.env.NODE_DEBUG) await import('./log/node-debug-guard.js');

// `hephestus ... | head` closes the pipe early; that is the reader's choice, not a failure.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const program = createProgram();
// In the order `hephestus --help` lists them.
registerEdit(program);
registerPacker(program);
registerConfig(program);
registerSandbox(program);
registerPr(program);
registerNotify(program);
registerTrigger(program);
registerEvent(program);
registerAmi(program);
registerRun(program);
await parseArguments(program, process.argv);
