import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import process from 'node:process';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Raw, gzip (level 9) and brotli (quality 11) byte sizes of a file's content. */
export function measure(code) {
  const raw = Buffer.from(code);
  return {
    raw: raw.byteLength,
    gzip: gzipSync(raw, { level: 9 }).byteLength,
    brotli: brotliCompressSync(raw, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.byteLength,
      },
    }).byteLength,
  };
}

/**
 * Prints raw / gzip / brotli bytes of each written chunk and fails the build when a chunk's gzip size
 * exceeds `gzipLimit`. Measures the file as written to disk, after every other plugin (terser) ran.
 * @param {{ gzipLimit: number }} options
 * @returns {import('rollup').Plugin}
 */
export function sizeReport({ gzipLimit }) {
  return {
    name: 'trail-size-report',
    writeBundle(output, bundle) {
      const dir = output.dir ?? dirname(output.file ?? '.');
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const file = join(dir, chunk.fileName);
        const size = measure(readFileSync(file));
        const line = `${basename(file)}: ${size.raw} B raw, ${size.gzip} B gzip, ${size.brotli} B brotli (gzip budget ${gzipLimit} B)`;
        if (size.gzip > gzipLimit) {
          this.error(`${line}: over budget by ${size.gzip - gzipLimit} B`);
        }
        process.stdout.write(`${line}\n`);
      }
    },
  };
}
