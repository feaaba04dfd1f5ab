import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { packerBuildArgs, redactLine, runPackerBuild } from '../../src/packer/packer-build.js';
import { parsePackerLogFile } from '../../src/packer/parse-log.js';
import type { ProgressEvent } from '../../src/packer/progress-view.js';

// A secret with a comma: Packer prints it escaped, so redacting the raw line alone would miss it.
const SECRET = 'tok3n,S3CRET-value';
const redact = (text: string) => text.replaceAll(SECRET, '[REDACTED]');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hephestus-packer-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const HCL = `
variable "greeting" {
  type    = string
  default = "hi"
}
variable "token" {
  type      = string
  default   = ""
  sensitive = true
}
source "file" "good" {
  content = "hello \${var.greeting}"
  target  = "out-hcl.txt"
}
source "null" "bad" {
  communicator = "none"
}
build {
  sources = ["source.file.good", "source.null.bad"]
  provisioner "shell-local" {
    only   = ["null.bad"]
    inline = ["echo 'token=\${var.token}'", "echo artifact,0,id,us-east-1:ami-0fake", "exit 3"]
  }
}
`;

const JSON_TEMPLATE = {
  variables: { greeting: 'hi' },
  builders: [
    { type: 'file', name: 'good', content: 'hello {{user `greeting`}}', target: 'out-json.txt' },
    { type: 'null', communicator: 'none' },
  ],
  provisioners: [{ type: 'shell-local', only: ['null'], inline: ['echo to-stderr 1>&2', 'exit 3'] }],
};

describe('runPackerBuild with the real packer', () => {
  it('runs an HCL2 template: artifacts of the good build, the error of the failing one, secrets redacted', async () => {
    const template = join(dir, 'two.pkr.hcl');
    writeFileSync(template, HCL);
    const events: ProgressEvent[] = [];
    const logFile = join(dir, 'hcl.log');
    const outFile = join(dir, 'hcl.json');
    const outcome = await runPackerBuild({
      template,
      cwd: dir,
      vars: { greeting: 'from-var', token: SECRET },
      logFile,
      outFile,
      redact,
      onProgress: (event) => events.push(event),
    });

    expect(outcome.exitCode).toBe(1);
    expect(outcome.packerExitCode).toBe(1);
    expect(outcome.result).toEqual({
      builds: [
        { name: 'file.good', artifacts: [{ builderId: 'packer.file', id: 'File', files: ['out-hcl.txt'] }] },
        { name: 'null.bad', artifacts: [] },
      ],
      errors: [
        {
          build: 'null.bad',
          message: 'Script exited with non-zero exit status: 3.Allowed exit codes are: [0]',
        },
      ],
    });
    expect(readFileSync(join(dir, 'out-hcl.txt'), 'utf8')).toBe('hello from-var');
    expect(JSON.parse(readFileSync(outFile, 'utf8'))).toEqual(outcome.result);

    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('null.bad: token=[REDACTED]');
    expect(log).not.toContain('S3CRET');
    expect(await parsePackerLogFile(logFile)).toEqual(outcome.result);

    expect(events).toContainEqual(
      expect.objectContaining({ build: 'null.bad', level: 'output', text: 'token=[REDACTED]' }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        build: 'null.bad',
        level: 'step',
        text: expect.stringMatching(/^Running local shell script/),
      }),
    );
    expect(events.every((event) => !event.text.includes('S3CRET') && event.elapsedMs >= 0)).toBe(true);
  });

  it('runs a JSON template, where builds are named by the builder name or type', async () => {
    const template = join(dir, 'two.json');
    writeFileSync(template, JSON.stringify(JSON_TEMPLATE, null, 2));
    const events: ProgressEvent[] = [];
    const outcome = await runPackerBuild({
      template,
      cwd: dir,
      vars: ['greeting=json'],
      redact,
      onProgress: (e) => events.push(e),
    });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.result).toEqual({
      builds: [
        { name: 'good', artifacts: [{ builderId: 'packer.file', id: 'File', files: ['out-json.txt'] }] },
        { name: 'null', artifacts: [] },
      ],
      errors: [
        { build: 'null', message: 'Script exited with non-zero exit status: 3.Allowed exit codes are: [0]' },
      ],
    });
    expect(readFileSync(join(dir, 'out-json.txt'), 'utf8')).toBe('hello json');
    expect(events).toContainEqual(
      expect.objectContaining({ build: 'null', level: 'error', text: 'to-stderr' }),
    );
  });

  it('succeeds with -only the good build', async () => {
    const template = join(dir, 'only.json');
    writeFileSync(template, JSON.stringify(JSON_TEMPLATE));
    const outcome = await runPackerBuild({ template, cwd: dir, only: ['good'], redact });
    expect(outcome).toMatchObject({ exitCode: 0, packerExitCode: 0 });
    expect(outcome.result.builds.map((build) => build.name)).toEqual(['good']);
    expect(outcome.result.errors).toEqual([]);
  });

  it('reports a bad template as a run-wide error', async () => {
    const template = join(dir, 'bad.pkr.hcl');
    writeFileSync(
      template,
      'source "null" "x" {\n  communicator = "none"\n  bogus = 1\n}\nbuild { sources = ["source.null.x"] }\n',
    );
    const outcome = await runPackerBuild({ template, cwd: dir, redact });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.result.errors).toEqual([
      { build: '', message: expect.stringMatching(/^Error: Unsupported argument/) },
    ]);
  });

  it('cancels packer cleanly on abort and reports it', async () => {
    const template = join(dir, 'slow.pkr.hcl');
    writeFileSync(
      template,
      `source "null" "slow" {
  communicator = "none"
}
build {
  sources = ["source.null.slow"]
  provisioner "shell-local" { inline = ["echo starting", "sleep 10"] }
}
`,
    );
    const abort = new AbortController();
    const outcome = await runPackerBuild({
      template,
      cwd: dir,
      redact,
      signal: abort.signal,
      onProgress: (event) => {
        if (event.text === 'starting') abort.abort();
      },
    });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.result.errors).toContainEqual({
      build: '',
      message: 'Cancelling build after receiving terminated',
    });
  });
});

describe('runPackerBuild with a packer that dies', () => {
  it('keeps the artifacts seen before a kill and reports the kill and the cut line', async () => {
    const fake = join(dir, 'fake-packer');
    writeFileSync(
      fake,
      `#!/bin/sh
printf '1736153193,,ui,say,==> file.a: Creating file...\\n'
printf '1736153193,file.a,artifact,0,builder-id,packer.file\\r\\n1736153193,file.a,artifact,0,id,File\\n1736153193,file.a,artifact,0,end\\n'
printf '1736153194,file.b,artifact,0,id,us-east-1:ami-0c1d'
kill -KILL $$
`,
    );
    chmodSync(fake, 0o755);
    const logFile = join(dir, 'killed.log');
    const outFile = join(dir, 'killed.json');
    const outcome = await runPackerBuild({
      template: 'x.pkr.hcl',
      packerBin: fake,
      logFile,
      outFile,
      redact,
    });
    expect(outcome).toMatchObject({ exitCode: 1, packerExitCode: null, packerSignal: 'SIGKILL' });
    expect(outcome.result.builds).toEqual([
      { name: 'file.a', artifacts: [{ builderId: 'packer.file', id: 'File' }] },
      { name: 'file.b', artifacts: [] },
    ]);
    expect(outcome.result.errors).toEqual([
      { build: '', message: 'packer was stopped by SIGKILL' },
      { build: 'file.b', message: expect.stringMatching(/^the log ends in the middle of a line/) },
    ]);
    expect(readFileSync(logFile, 'utf8').endsWith('file.b,artifact,0,id,us-east-1:ami-0c1d')).toBe(true);
    expect(JSON.parse(readFileSync(outFile, 'utf8'))).toEqual(outcome.result);
  });

  it('reports a packer that fails without a word', async () => {
    const fake = join(dir, 'silent-packer');
    writeFileSync(fake, '#!/bin/sh\necho "panic: something" 1>&2\nexit 7\n');
    chmodSync(fake, 0o755);
    const events: ProgressEvent[] = [];
    const outcome = await runPackerBuild({
      template: 't',
      packerBin: fake,
      redact,
      onProgress: (e) => events.push(e),
    });
    expect(outcome.result.errors).toEqual([
      { build: '', message: 'packer exited with code 7 without naming an error' },
    ]);
    expect(events).toEqual([expect.objectContaining({ level: 'stderr', text: 'panic: something' })]);
  });

  it('says when packer is not installed', async () => {
    await expect(
      runPackerBuild({ template: 't', packerBin: join(dir, 'no-such-packer'), redact }),
    ).rejects.toBeInstanceOf(InputError);
  });
});

describe('packerBuildArgs', () => {
  it('passes variables, variable files and -only before the template', () => {
    expect(
      packerBuildArgs({
        template: 'images/',
        vars: { a: '1', b: 'x=y' },
        varFiles: ['v.pkrvars.hcl'],
        only: ['amazon-ebs.win2022', 'amazon-ebs.win2019'],
      }),
    ).toEqual([
      'build',
      '-machine-readable',
      '-color=false',
      '-var',
      'a=1',
      '-var',
      'b=x=y',
      '-var-file=v.pkrvars.hcl',
      '-only=amazon-ebs.win2022,amazon-ebs.win2019',
      'images/',
    ]);
  });
});

describe('redactLine', () => {
  it('redacts a secret that Packer escaped, keeping the line machine-readable', () => {
    const line = redactLine('1,,ui,message,    null.bad: token=tok3n%!(PACKER_COMMA)S3CRET-value', redact);
    expect(line).toBe('1,,ui,message,    null.bad: token=[REDACTED]');
  });

  it('leaves a line without secrets byte for byte, CR and ambiguous backslashes included', () => {
    const raw = '1,,ui,message,    null.x: C:\\new\\readme%!(PACKER_COMMA) ok\r';
    expect(redactLine(raw, redact)).toBe(raw);
  });
});
