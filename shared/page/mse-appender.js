// The MSE appender both pages use (the ward box's review page and the hub's operator page, served by each at
// /mse-appender.js; a classic script, so the review page's classic scripts and the hub's modules both find it as
// `window.MseAppender`). It feeds one SourceBuffer in order and drops what is far behind the play position, so
// memory stays flat however long a view lasts.
window.MseAppender = class MseAppender {
  constructor(video, codec) {
    this.video = video;
    this.queue = [];
    this.waiters = [];
    this.ms = new MediaSource();
    this.url = URL.createObjectURL(this.ms);
    video.src = this.url;
    this.ready = new Promise((resolve, reject) => {
      this.ms.addEventListener('sourceopen', () => {
        try {
          this.sb = this.ms.addSourceBuffer(`video/mp4; codecs="${codec}"`);
          this.sb.mode = 'segments';
          this.sb.addEventListener('updateend', () => this.pump());
          resolve();
          this.pump();
        } catch (err) { reject(err); }
      }, { once: true });
    });
  }
  push(buf) { this.queue.push(buf); this.pump(); }
  pump() {
    if (!this.sb || this.sb.updating || this.ms.readyState !== 'open') return;
    const v = this.video;
    const b = this.sb.buffered;
    if (b.length && v.currentTime - b.start(0) > 90 && !this.queue.length) { this.sb.remove(b.start(0), v.currentTime - 60); return; }
    const next = this.queue.shift();
    if (next) {
      try { this.sb.appendBuffer(next); } catch (err) {
        if (err.name !== 'QuotaExceededError') throw err;
        // the browser's buffer is full: keep this one for after the old part is removed
        this.queue.unshift(next);
        this.sb.remove(0, Math.max(0, v.currentTime - 10));
      }
      return;
    }
    for (const w of this.waiters.splice(0)) w();
  }
  /** resolves when everything queued is appended */
  drained() { return this.queue.length || (this.sb && this.sb.updating) ? new Promise((r) => this.waiters.push(r)) : Promise.resolve(); }
  bufferedEnd() { const b = this.sb && this.sb.buffered; return b && b.length ? b.end(b.length - 1) : 0; }
  bufferedStart() { const b = this.sb && this.sb.buffered; return b && b.length ? b.start(0) : 0; }
  end() { if (this.ms.readyState === 'open' && this.sb && !this.sb.updating) try { this.ms.endOfStream(); } catch { /* already ended */ } }
  close() { this.queue = []; URL.revokeObjectURL(this.url); }
};
