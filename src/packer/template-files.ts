/** Reads a Packer template (a file, or a directory of `.pkr.hcl` and `.pkr.json` files) for {@link template-facts}. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { TemplateFile } from './template-facts.js';

/** The template's files; `file` in each is relative to `root` (the repository), as messages show it. */
export async function readTemplateFiles(template: string, root: string): Promise<TemplateFile[]> {
  const paths = (await stat(template)).isDirectory()
    ? (await readdir(template))
        .filter((name) => name.endsWith('.pkr.hcl') || name.endsWith('.pkr.json'))
        .sort()
        .map((name) => join(template, name))
    : [template];
  return Promise.all(
    paths.map(async (path) => ({ file: relative(root, path), text: await readFile(path, 'utf8') })),
  );
}
