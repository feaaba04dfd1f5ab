/**
 * Turns Packer's machine-readable records into the result `hephestus packer parse` prints: the artifacts of each
 * build and the errors. Holds only the artifacts and errors, never the lines, so memory stays constant however
 * long the log is.
 */
import type { PackerLine } from './machine-readable.js';

/** One AMI of a (possibly multi-region) artifact. */
export interface PackerImage {
  region: string;
  ami: string;
}

export interface PackerArtifact {
  /** Packer's builder id, e.g. `mitchellh.amazonebs`, `packer.file`, `packer.docker`. */
  builderId: string;
  /** Packer's artifact id as printed; for AMIs `us-east-1:ami-1,us-west-2:ami-2`. */
  id: string;
  /** Present whenever `id` is a comma-separated list of `region:ami-...`. */
  images?: PackerImage[];
  /** Files the artifact consists of, when it has any. */
  files?: string[];
}

export interface PackerBuild {
  name: string;
  artifacts: PackerArtifact[];
}

export interface PackerError {
  /** The build that failed; empty for an error of the whole run (bad template, cancelled, log cut short). */
  build: string;
  message: string;
}

export interface PackerResult {
  builds: PackerBuild[];
  errors: PackerError[];
}

interface Draft {
  index: number;
  seq: number;
  builderId?: string;
  id?: string;
  files: string[];
}

interface Finished {
  index: number;
  seq: number;
  artifact: PackerArtifact;
}

const IMAGE = /^([a-z][a-z0-9-]*[0-9]):(ami-[0-9a-z]+)$/i;
const BUILD_ERRORED = /^Build '(.+?)' errored(?: after [^:]*)?: ([\s\S]*)$/;
const SUMMARY_ERROR = /^--> (.+?): ([\s\S]*)$/;
const BUILD_OUTPUT = /^ {4}\S+(?: \([^)]*\))?: /;

/** The images an artifact id names, or undefined when it is not a list of `region:ami-...`. */
export function imagesOf(id: string): PackerImage[] | undefined {
  if (id === '') return undefined;
  const images: PackerImage[] = [];
  for (const part of id.split(',')) {
    const match = IMAGE.exec(part.trim());
    if (!match) return undefined;
    images.push({ region: match[1] as string, ami: match[2] as string });
  }
  return images;
}

/**
 * Builders whose artifact id is a constant rather than a name of what they built: Packer's file builder prints
 * `File` for every file it writes. Their artifacts are named by their files instead.
 */
const CONSTANT_ID_BUILDERS = new Set(['packer.file']);

/**
 * What names an artifact's output, for records kept beyond the run (the lock file): Packer's id, or the files
 * (comma-separated) for a builder whose id says nothing (see {@link CONSTANT_ID_BUILDERS}).
 */
export function artifactName(artifact: PackerArtifact): string {
  const files = artifact.files ?? [];
  return CONSTANT_ID_BUILDERS.has(artifact.builderId) && files.length > 0 ? files.join(',') : artifact.id;
}

/** Builds a {@link PackerArtifact} with `images` filled from the id and `files` only when there are files. */
export function makeArtifact(builderId: string, id: string, files: readonly string[] = []): PackerArtifact {
  const artifact: PackerArtifact = { builderId, id };
  const images = imagesOf(id);
  if (images) artifact.images = images;
  if (files.length > 0) artifact.files = [...files];
  return artifact;
}

/** Collects artifacts and errors from machine-readable records fed in any order. */
export class PackerResultCollector {
  private readonly open = new Map<string, Map<number, Draft>>();
  private readonly finished = new Map<string, Map<string, Finished>>();
  private readonly errors = new Map<string, PackerError>();
  private seq = 0;

  /** Feeds one record; records that carry no artifact or error are ignored. */
  add(line: PackerLine): void {
    switch (line.type) {
      case 'artifact':
        this.addArtifactField(line.target, line.data);
        break;
      case 'error':
        this.addError(line.target, line.data.join(','));
        break;
      case 'ui':
        if (line.data[0] === 'error') this.addUiError(line.data.slice(1).join(','));
        break;
    }
  }

  /** Records an error; the same message for the same build is kept once. */
  addError(build: string, message: string): void {
    const text = message.replace(/^[\r\n]+|[\s]+$/g, '');
    const key = `${build}\u0000${text}`;
    if (!this.errors.has(key)) this.errors.set(key, { build, message: text });
  }

  /** Adds finished artifacts from another source (a manifest); identical ones are kept once. */
  addArtifact(build: string, artifact: PackerArtifact): void {
    this.pushFinished(build, { index: Number.MAX_SAFE_INTEGER, seq: this.seq++, artifact });
  }

  /** The result so far: every build named by an artifact or an error, sorted by name. */
  result(): PackerResult {
    const names = new Set<string>();
    for (const build of this.finished.keys()) names.add(build);
    for (const [build, drafts] of this.open) {
      if ([...drafts.values()].some((draft) => draft.id !== undefined)) names.add(build);
    }
    for (const error of this.errors.values()) if (error.build !== '') names.add(error.build);
    const builds = [...names].sort(compare).map((name) => ({ name, artifacts: this.artifactsOf(name) }));
    const errors = [...this.errors.values()].sort(
      (a, b) => compare(a.build, b.build) || compare(a.message, b.message),
    );
    return { builds, errors };
  }

  private addArtifactField(build: string, data: string[]): void {
    if (build === '' || data.length < 2) return;
    const indexText = data[0] as string;
    if (!/^\d+$/.test(indexText)) return;
    const index = Number(indexText);
    const field = data[1];
    let drafts = this.open.get(build);
    if (!drafts) {
      drafts = new Map();
      this.open.set(build, drafts);
    }
    let draft = drafts.get(index);
    if (field === 'end') {
      if (draft) {
        drafts.delete(index);
        this.finish(build, draft);
      }
      return;
    }
    if (!draft) {
      draft = { index, seq: this.seq++, files: [] };
      drafts.set(index, draft);
    }
    const value = data.slice(2).join(',');
    switch (field) {
      case 'builder-id':
        draft.builderId = value;
        break;
      case 'id':
        draft.id = value;
        break;
      case 'file': {
        const fileIndex = data[2] ?? '';
        if (/^\d+$/.test(fileIndex)) draft.files[Number(fileIndex)] = data.slice(3).join(',');
        break;
      }
    }
  }

  private addUiError(text: string): void {
    const trimmed = text.replace(/^[\r\n]+/, '');
    const errored = BUILD_ERRORED.exec(trimmed) ?? SUMMARY_ERROR.exec(trimmed);
    if (errored) {
      this.addError(errored[1] as string, errored[2] as string);
      return;
    }
    // A build's own error output (`==> name: ...`) and Packer's headings are not errors of the run; what is left
    // unprefixed is Packer's own complaint: a bad template, a cancelled run.
    if (trimmed.startsWith('==>') || BUILD_OUTPUT.test(trimmed) || trimmed.trim() === '') return;
    this.addError('', trimmed);
  }

  private finish(build: string, draft: Draft): void {
    const entry = finishedOf(draft);
    if (entry) this.pushFinished(build, entry);
  }

  /** Keeps one of identical artifacts: the one with the lowest index, then the earliest. */
  private pushFinished(build: string, entry: Finished): void {
    let byKey = this.finished.get(build);
    if (!byKey) {
      byKey = new Map();
      this.finished.set(build, byKey);
    }
    const key = artifactKey(entry.artifact);
    const kept = byKey.get(key);
    if (!kept || before(entry, kept)) byKey.set(key, entry);
  }

  /** Finished artifacts plus open ones that have an id, ordered by index, duplicates dropped. */
  private artifactsOf(build: string): PackerArtifact[] {
    const byKey = new Map(this.finished.get(build));
    for (const draft of this.open.get(build)?.values() ?? []) {
      // Without its `end` (a log cut short, a hand-written log) an artifact counts once its id is known.
      const entry = draft.id === undefined ? undefined : finishedOf(draft);
      if (!entry) continue;
      const key = artifactKey(entry.artifact);
      const kept = byKey.get(key);
      if (!kept || before(entry, kept)) byKey.set(key, entry);
    }
    return [...byKey.values()].sort((a, b) => (before(a, b) ? -1 : 1)).map((entry) => entry.artifact);
  }
}

function finishedOf(draft: Draft): Finished | undefined {
  if (draft.builderId === undefined && draft.id === undefined) return undefined;
  const files = draft.files.filter((file) => file !== undefined);
  return {
    index: draft.index,
    seq: draft.seq,
    artifact: makeArtifact(draft.builderId ?? '', draft.id ?? '', files),
  };
}

function artifactKey(artifact: PackerArtifact): string {
  return JSON.stringify([artifact.builderId, artifact.id, artifact.files ?? []]);
}

function before(a: Finished, b: Finished): boolean {
  return a.index < b.index || (a.index === b.index && a.seq < b.seq);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Unites results (a log and a manifest, say): builds by name, identical artifacts and errors kept once. */
export function mergePackerResults(...results: PackerResult[]): PackerResult {
  const collector = new PackerResultCollector();
  for (const result of results) {
    for (const build of result.builds)
      for (const artifact of build.artifacts) collector.addArtifact(build.name, artifact);
    for (const error of result.errors) collector.addError(error.build, error.message);
  }
  return collector.result();
}
