// Jest setup of the "file backend" project (jest.config.js): every store a test opens on the
// default backend, in this process and in the child processes it starts, runs on the written
// backend; the default folder is a temporary one of this test file's own.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

process.env.PMEHASH_BACKEND = 'file';
process.env.PMEHASH_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'pmehash-file-backend-'));
