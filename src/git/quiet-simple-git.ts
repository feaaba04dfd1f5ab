/**
 * Keeps simple-git's debug log silent. It prints every command's environment (where the credential header
 * is, see git-credentials.ts) and output, and `DEBUG=simple-git:*` (or `DEBUG=*`) would turn it on for anyone who
 * can set a variable of the job. `debug` is asked for its lines through one `log` function, so dropping
 * simple-git's namespaces there holds however `debug` gets enabled; other namespaces still print.
 */
import debug from 'debug';

const original = debug.log;
debug.log = function log(this: { namespace?: string }, ...args: unknown[]): void {
  if (this?.namespace?.startsWith('simple-git')) return;
  original.apply(this, args as Parameters<typeof original>);
};
