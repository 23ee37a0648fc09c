// Temporary store folders: every test except the course suite works in its own.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const made: string[] = [];

export function tempDir(label = 'store'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pmehash-${label}-`));
  made.push(dir);
  return dir;
}

/** Removes every folder made by tempDir in this test file (call from afterAll). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Byte-for-byte snapshot of every file in a folder (sub-folders by name only). */
export function snapshot(dir: string): Map<string, Buffer | 'folder'> {
  const files = new Map<string, Buffer | 'folder'>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    files.set(entry.name, entry.isDirectory() ? 'folder' : fs.readFileSync(path.join(dir, entry.name)));
  }
  return files;
}
