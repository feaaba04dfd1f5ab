/**
 * A small Dockerfile reader for the tests: instructions with their line numbers, continuation lines joined,
 * comments dropped except parser directives and `# hadolint ignore=` pragmas, which are kept on the instruction
 * they precede. No Docker engine runs here and no Dockerfile parser is among the dependencies; the tests need
 * only stages, ARG defaults and the words of RUN/COPY lines, which this covers.
 */

export interface Instruction {
  /** Upper-cased keyword: FROM, RUN, COPY, ... */
  keyword: string;
  /** The arguments, continuation lines joined with a space. */
  args: string;
  /** 1-based line of the keyword. */
  line: number;
  /** Rules a `# hadolint ignore=DL3008,DL3009` comment right above switches off for this instruction. */
  ignored: string[];
}

export interface Stage {
  name?: string;
  /** The image reference as written (`${NODE_IMAGE}`) and with global ARG defaults substituted. */
  from: string;
  image: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string | undefined>;
  stages: Stage[];
  instructions: Instruction[];
}

/** Splits a Dockerfile into instructions. */
export function parseInstructions(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  const instructions: Instruction[] = [];
  let pendingIgnores: string[] = [];
  let current: { keyword: string; parts: string[]; line: number; ignored: string[] } | undefined;
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#')) {
      // Comments inside a continued instruction are dropped by Docker too.
      const pragma = /^#\s*hadolint\s+ignore=([\w,]+)/.exec(trimmed);
      if (pragma && !current) pendingIgnores.push(...(pragma[1] as string).split(','));
      return;
    }
    if (trimmed === '' && !current) return;
    const continued = trimmed.endsWith('\\');
    const body = continued ? trimmed.slice(0, -1).trim() : trimmed;
    if (current) {
      if (body !== '') current.parts.push(body);
    } else {
      const match = /^(\S+)\s*(.*)$/.exec(body) as RegExpExecArray;
      current = {
        keyword: (match[1] as string).toUpperCase(),
        parts: match[2] ? [match[2]] : [],
        line: index + 1,
        ignored: pendingIgnores,
      };
      pendingIgnores = [];
    }
    if (!continued) {
      instructions.push({
        keyword: current.keyword,
        args: current.parts.join(' '),
        line: current.line,
        ignored: current.ignored,
      });
      current = undefined;
    }
  });
  if (current) throw new Error(`line ${current.line}: instruction continues past the end of the file`);
  return instructions;
}

/** Reads stages and global ARGs. */
export function parseDockerfile(text: string): Dockerfile {
  const instructions = parseInstructions(text);
  const globalArgs: Record<string, string | undefined> = {};
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`line ${instruction.line}: cannot read FROM ${instruction.args}`);
      const from = match[1] as string;
      stages.push({
        ...(match[2] ? { name: match[2] } : {}),
        from,
        image: substitute(from, globalArgs),
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG')
        throw new Error(`line ${instruction.line}: only ARG may precede FROM`);
      const [name, value] = instruction.args.split(/=(.*)/s) as [string, string | undefined];
      globalArgs[name] = value;
    } else {
      (stages.at(-1) as Stage).instructions.push(instruction);
    }
  }
  return { globalArgs, stages, instructions };
}

/** `${NAME}` and `$NAME` replaced by the ARG defaults; unknown names stay as written. */
export function substitute(text: string, args: Record<string, string | undefined>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced, bare) => args[braced ?? bare] ?? whole);
}

/** The packages of every `apt-get install` in `run`, with their `=version` pins. */
export function aptInstalls(run: string): Array<{ name: string; version?: string }> {
  const packages: Array<{ name: string; version?: string }> = [];
  for (const command of run.split(/&&|;/)) {
    const words = command.trim().split(/\s+/);
    const install = words.findIndex((word, i) => word === 'install' && words[i - 1] === 'apt-get');
    if (install < 0) continue;
    for (const word of words.slice(install + 1)) {
      if (word.startsWith('-')) continue;
      const [name, version] = word.split('=') as [string, string | undefined];
      packages.push(version === undefined ? { name } : { name, version });
    }
  }
  return packages;
}
