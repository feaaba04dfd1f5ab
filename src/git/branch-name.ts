/**
 * Branch names git accepts (git-check-ref-format's rules), printable ASCII only (stricter than git, which allows
 * other Unicode), and never starting with `-`, which a command line would read as an option. Pure, so the
 * configuration can check a name without loading the git client.
 */

/** True when `name` is a branch name git and a command line both take as such. */
export function isBranchName(name: string): boolean {
  return !(
    name === '' ||
    name === '@' ||
    name.startsWith('-') ||
    name.startsWith('/') ||
    name.endsWith('/') ||
    name.endsWith('.') ||
    name.includes('..') ||
    name.includes('//') ||
    name.includes('@{') ||
    /[^\x21-\x7e]|[~^:?*[\\]/.test(name) ||
    name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))
  );
}
