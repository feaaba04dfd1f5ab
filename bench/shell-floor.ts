/**
 * The shell a person would write to bump a pin, run through bash asynchronously (the sandbox answers from this
 * process, so a blocking spawn would stop the server): `git clone --depth 1 --single-branch`, `sed`,
 * `git commit`, `git push`. The big-repo figure times it; the API-call figure counts the requests it makes.
 */
import { spawn } from 'node:child_process';
import { BUMP_FILE } from './flow-step.js';
import { BENCH_TOKEN, BOT } from './github-sandbox.js';

const CLONE = [`git ${auth()} clone -q --depth 1 --single-branch --branch main "$URL" "$DIR"`];
const COMMIT_AND_PUSH = [
  'cd "$DIR"',
  `sed -i -E 's/("windows-server-2022" )"ami-[0-9a-f]+"/\\1"'"$AMI"'"/' ${BUMP_FILE}`,
  `git -c user.name="${BOT.name}" -c user.email="${BOT.email}" commit -qam "Bump windows-server-2022 to $AMI"`,
  `git ${auth()} push -q origin "HEAD:refs/heads/$BRANCH"`,
];

/** `git clone --depth 1 --single-branch --branch main` of `url` into `dir`. */
export function floorClone(url: string, dir: string): Promise<void> {
  return bash(CLONE, { URL: url, DIR: dir });
}

/** In the clone at `dir`: `sed` the Windows Server 2022 AMI to `ami`, `git commit -a`, `git push` to `branch`. */
export function floorCommitAndPush(dir: string, branch: string, ami: string): Promise<void> {
  return bash(COMMIT_AND_PUSH, { DIR: dir, AMI: ami, BRANCH: branch });
}

/** The whole floor in one bash, as a person's script runs it. */
export function shellFloor(url: string, dir: string, branch: string, ami: string): Promise<void> {
  return bash([...CLONE, ...COMMIT_AND_PUSH], { URL: url, DIR: dir, AMI: ami, BRANCH: branch });
}

/**
 * The REST calls no tool can do without, with `curl` as a person's script makes them (a connection each): to
 * create the pull request, open it then label it (the label call needs its number); to update it, list the
 * branch's open pull request then edit it. With WRITE_LOCK set, each write holds `flock` on that file while it
 * runs: how a script fanned out over many repositories keeps GitHub's rule of one content-creating request at a
 * time across all of them.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: bash's ${VAR:+...}, expanded by the script, not here.
const WRITE = '${WRITE_LOCK:+flock "$WRITE_LOCK"}';
const PULL_REQUEST = {
  create: [
    `PR=$(${WRITE} ${curl()} -X POST "$API/repos/$REPO/pulls" -d '{"title":"Bump windows-server-2022","head":"'"$BRANCH"'","base":"main"}' | jq -r .number)`,
    `${WRITE} ${curl()} -o /dev/null -X POST "$API/repos/$REPO/issues/$PR/labels" -d '{"labels":["windows-update","automated"]}'`,
  ],
  update: [
    `PR=$(${curl()} "$API/repos/$REPO/pulls?state=open&head=\${REPO%%/*}:$BRANCH" | jq -r '.[0].number')`,
    `${WRITE} ${curl()} -o /dev/null -X PATCH "$API/repos/$REPO/pulls/$PR" -d '{"body":"Bump windows-server-2022 to '"$AMI"'"}'`,
  ],
};

/**
 * The floor with its pull request, as one person's script: clone, `sed`, commit, push, then `curl` the pull
 * request (`kind` create or update) on `fullName` through the REST API at `api`; its writes one at a time across
 * every script holding the same `writeLock` file.
 */
export function shellFloorWithPullRequest(
  target: { api: string; url: string; fullName: string },
  dir: string,
  branch: string,
  ami: string,
  kind: keyof typeof PULL_REQUEST,
  writeLock?: string,
): Promise<void> {
  return bash([...CLONE, ...COMMIT_AND_PUSH, ...PULL_REQUEST[kind]], {
    URL: target.url,
    API: target.api,
    REPO: target.fullName,
    DIR: dir,
    AMI: ami,
    BRANCH: branch,
    ...(writeLock ? { WRITE_LOCK: writeLock } : {}),
  });
}

function curl(): string {
  return `curl -sSf -H "Authorization: token ${BENCH_TOKEN}" -H 'Accept: application/vnd.github+json'`;
}

function auth(): string {
  const basic = Buffer.from(`x-access-token:${BENCH_TOKEN}`).toString('base64');
  return `-c http.extraHeader="Authorization: Basic ${basic}"`;
}

function bash(lines: string[], env: Record<string, string>): Promise<void> {
  const script = ['set -euo pipefail', ...lines].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      env: { ...process.env, ...env, GIT_TERMINAL_PROMPT: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`shell floor failed: ${stderr}`)),
    );
  });
}
