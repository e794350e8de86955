// tap reporter (package.json "tap".reporter): one line per passing test file,
// the whole TAP of a failing one (every assertion and its diagnostics), and
// tap's own summary ('# { total: N, pass: P, fail: F }', which .ci/run reads).
// The full stream: `npm test -- --reporter=tap` (or base, terse, dot, ...).
import { Transform } from 'node:stream';

export default class TerseTap extends Transform {
  #partial = '';
  #file = []; // the current top-level test's lines, printed only if it fails
  #failing = false; // after a top-level 'not ok': its indented diagnostics pass through

  _transform(chunk, _enc, done) {
    const text = this.#partial + chunk.toString();
    const lines = text.split('\n');
    this.#partial = lines.pop();
    for (const l of lines) this.#line(l);
    done();
  }

  _flush(done) {
    if (this.#partial) this.#line(this.#partial);
    if (this.#file.length) this.push(this.#file.join('\n') + '\n'); // an unfinished file (bail-out, crash): show it
    done();
  }

  #line(l) {
    const top = !/^\s/.test(l) && l !== '';
    if (!top) {
      if (this.#failing) this.push(l + '\n');
      else this.#file.push(l);
      return;
    }
    this.#failing = false;
    if (l.startsWith('# Subtest: ')) {
      this.#file = [l];
    } else if (/^ok \d+/.test(l)) {
      this.#file = [];
      this.push(l + '\n');
    } else if (/^not ok \d+/.test(l)) {
      this.push(this.#file.join('\n') + '\n' + l + '\n');
      this.#file = [];
      this.#failing = true;
    } else {
      this.push(l + '\n'); // plan, version, summary comments, bail out
    }
  }
}
