import { describe, expect, it } from 'vitest';
import {
  artifactName,
  imagesOf,
  mergePackerResults,
  PackerResultCollector,
} from '../../src/packer/artifacts.js';
import { parseMachineReadableLine } from '../../src/packer/machine-readable.js';

function collect(text: string) {
  const collector = new PackerResultCollector();
  for (const raw of text.split('\n')) {
    const line = parseMachineReadableLine(raw);
    if (line) collector.add(line);
  }
  return collector.result();
}

describe('imagesOf', () => {
  it('reads single and multi-region AMI ids', () => {
    expect(imagesOf('us-east-1:ami-0abc')).toEqual([{ region: 'us-east-1', ami: 'ami-0abc' }]);
    expect(imagesOf('us-east-1:ami-1,us-gov-west-1:ami-2')).toEqual([
      { region: 'us-east-1', ami: 'ami-1' },
      { region: 'us-gov-west-1', ami: 'ami-2' },
    ]);
  });

  it.each(['', 'Null', 'File', 'sha256:8f2c3d', 'us-east-1:ami-1,File', 'us-east-1:snap-0abc', 'ami-0abc'])(
    'finds no images in %j',
    (id) => {
      expect(imagesOf(id)).toBeUndefined();
    },
  );
});

describe('artifactName', () => {
  it("names a file builder's artifact by its file, not Packer's constant id", () => {
    expect(artifactName({ builderId: 'packer.file', id: 'File', files: ['out/notes.txt'] })).toBe(
      'out/notes.txt',
    );
    expect(artifactName({ builderId: 'packer.file', id: 'File', files: ['a.txt', 'b.txt'] })).toBe(
      'a.txt,b.txt',
    );
  });
  it("keeps Packer's id for other builders, and for a file artifact that lists no file", () => {
    expect(artifactName({ builderId: 'packer.docker', id: 'sha256:0123', files: ['x'] })).toBe('sha256:0123');
    expect(artifactName({ builderId: 'packer.file', id: 'File' })).toBe('File');
  });
});

describe('PackerResultCollector', () => {
  it('keeps identical artifacts of one build once and different ones apart', () => {
    const result = collect(`1,b,artifact,0,builder-id,packer.file
1,b,artifact,0,id,File
1,b,artifact,0,files-count,1
1,b,artifact,0,file,0,out.txt
1,b,artifact,0,end
1,b,artifact,1,builder-id,packer.file
1,b,artifact,1,id,File
1,b,artifact,1,file,0,out.txt
1,b,artifact,1,end
1,b,artifact,2,builder-id,packer.file
1,b,artifact,2,id,File
1,b,artifact,2,file,0,other.txt
1,b,artifact,2,end`);
    expect(result.builds).toEqual([
      {
        name: 'b',
        artifacts: [
          { builderId: 'packer.file', id: 'File', files: ['out.txt'] },
          { builderId: 'packer.file', id: 'File', files: ['other.txt'] },
        ],
      },
    ]);
  });

  it('keeps a post-processor artifact with an empty id, without images', () => {
    const result = collect(`1,d,artifact,1,builder-id,packer.post-processor.checksum
1,d,artifact,1,id,
1,d,artifact,1,end`);
    expect(result.builds[0]?.artifacts).toEqual([{ builderId: 'packer.post-processor.checksum', id: '' }]);
  });

  it('never takes an artifact from text inside a ui line', () => {
    const result =
      collect(`1,,ui,message,    amazon-ebs.x: artifact%!(PACKER_COMMA)0%!(PACKER_COMMA)id%!(PACKER_COMMA)us-east-1:ami-1
1,,ui,message,    amazon-ebs.x: artifact,0,id,us-east-1:ami-2
1,,ui,say,1,amazon-ebs.x,artifact,0,id,us-east-1:ami-3`);
    expect(result).toEqual({ builds: [], errors: [] });
  });

  it("reads a build's failure from `error` lines and from Packer's ui,error lines, once", () => {
    const result =
      collect(`1,,ui,error,Build 'null.bad' errored after 19 milliseconds 796 microseconds: Script exited with non-zero exit status: 3.Allowed exit codes are: [0]
1,,ui,error,\\n==> Some builds didn't complete successfully and had errors:
1,null.bad,error,Script exited with non-zero exit status: 3.Allowed exit codes are: [0]
1,,ui,error,--> null.bad: Script exited with non-zero exit status: 3.Allowed exit codes are: [0]`);
    expect(result).toEqual({
      builds: [{ name: 'null.bad', artifacts: [] }],
      errors: [
        {
          build: 'null.bad',
          message: 'Script exited with non-zero exit status: 3.Allowed exit codes are: [0]',
        },
      ],
    });
  });

  it("takes a failure from the ui line alone when the log stops before Packer's summary", () => {
    const result = collect(`1,,ui,error,Build 'amazon-ebs.a' errored: timeout while waiting for WinRM`);
    expect(result.errors).toEqual([{ build: 'amazon-ebs.a', message: 'timeout while waiting for WinRM' }]);
  });

  it("does not take a build's stderr output for an error", () => {
    const result = collect(`1,,ui,error,==> null: to-stderr
1,,ui,error,    amazon-ebs.x: Write-Error: something
1,,ui,error,==> null.x (shell-local): failed once%!(PACKER_COMMA) retrying`);
    expect(result).toEqual({ builds: [], errors: [] });
  });

  it('reports a run-wide error (a bad template) with an empty build, naming no build', () => {
    const result = collect(
      '1,,ui,error,Error: Unset variable "v"\\n\\nA used variable must be set or have a default value\\n\\n',
    );
    expect(result).toEqual({
      builds: [],
      errors: [
        {
          build: '',
          message: 'Error: Unset variable "v"\n\nA used variable must be set or have a default value',
        },
      ],
    });
  });

  it('lists every build named by an artifact or an error, sorted by name', () => {
    const result = collect(`1,c,artifact,0,builder-id,x
1,c,artifact,0,id,1
1,c,artifact,0,end
1,a,error,boom
1,b,artifact,0,builder-id,y
1,b,artifact,0,id,2`);
    expect(result.builds.map((build) => build.name)).toEqual(['a', 'b', 'c']);
    expect(result.builds[1]?.artifacts).toEqual([{ builderId: 'y', id: '2' }]);
  });

  it('accepts an id whose commas were not escaped (a hand-written log)', () => {
    const result = collect(`1,b,artifact,0,builder-id,mitchellh.amazonebs
1,b,artifact,0,id,us-east-1:ami-1,us-west-2:ami-2
1,b,artifact,0,end`);
    expect(result.builds[0]?.artifacts[0]?.images).toEqual([
      { region: 'us-east-1', ami: 'ami-1' },
      { region: 'us-west-2', ami: 'ami-2' },
    ]);
  });
});

describe('mergePackerResults', () => {
  it('unites builds and drops identical artifacts and errors', () => {
    const a = {
      builds: [{ name: 'x', artifacts: [{ builderId: 'packer.file', id: 'File' }] }],
      errors: [{ build: 'y', message: 'no' }],
    };
    const b = {
      builds: [
        { name: 'x', artifacts: [{ builderId: 'packer.file', id: 'File' }] },
        { name: 'w', artifacts: [{ builderId: 'fnoeding.null', id: 'Null' }] },
      ],
      errors: [{ build: 'y', message: 'no' }],
    };
    expect(mergePackerResults(a, b)).toEqual({
      builds: [
        { name: 'w', artifacts: [{ builderId: 'fnoeding.null', id: 'Null' }] },
        { name: 'x', artifacts: [{ builderId: 'packer.file', id: 'File' }] },
        { name: 'y', artifacts: [] },
      ],
      errors: [{ build: 'y', message: 'no' }],
    });
  });
});
