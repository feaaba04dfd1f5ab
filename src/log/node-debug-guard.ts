/**
 * `NODE_DEBUG=child_process` makes Node print the options of every child process it starts, environment
 * included: the AWS keys Packer gets and the credential header git gets. Node reads NODE_DEBUG once, before any
 * of our code runs, so it cannot be turned off here; what it prints goes through `process.stderr.write`, which
 * is wrapped with the redactor of the job's secrets while NODE_DEBUG is set. Imported first by the CLI.
 * (`DEBUG=*` is handled where it matters: simple-git's debug lines are dropped, see quiet-simple-git.ts.)
 */
import { redactorFromEnv } from '../config/secrets.js';

if (process.env.NODE_DEBUG) {
  const redactor = redactorFromEnv(process.env);
  const write = process.stderr.write.bind(process.stderr) as (...args: unknown[]) => boolean;
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) =>
    write(
      typeof chunk === 'string' || Buffer.isBuffer(chunk) ? redactor.redact(String(chunk)) : chunk,
      ...rest,
    )) as typeof process.stderr.write;
  // Our children (git, Packer) are no Node programs, but a Packer plugin or a hook written in Node would be.
  delete process.env.NODE_DEBUG;
}
