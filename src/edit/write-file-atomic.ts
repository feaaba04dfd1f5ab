/**
 * Writes a file so that readers see the old or the new content, never a half: a temporary file beside the
 * target, flushed, then renamed over it, keeping the target's mode. Eight lines do not warrant a dependency.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** Replaces `file` with `content` atomically. */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const mode = await stat(file).then(
    (s) => s.mode & 0o7777,
    () => 0o644,
  );
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
    await handle.close();
    await rename(temp, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}
