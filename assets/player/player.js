// ffnode player page: lists the server's streams (GET <api>/streams), plays
// one with hls.js (native HLS where MSE is absent) or dash.js, offers a
// manual/auto quality picker, and shows the live latency and the stream's
// stats. Plain browser JS, no build step; every URL is relative to the page,
// so the page works wherever the handler is mounted. The server fills the
// body's data-* attributes: data-api (the API's relative path, '' when it is
// off), data-players (the player libraries it serves), data-missing (the npm
// packages to install for the others).
(() => {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const API = body.dataset.api || '';
  const SERVED = new Set((body.dataset.players || '').split(' ').filter(Boolean));
  const MISSING = (body.dataset.missing || '').split(' ').filter(Boolean);
  const REFRESH_EVERY = 3; // ticks of one second between API refreshes
  // Page URL parameters the page reads itself; any other (a playback token:
  // exp, sig, ...) is passed on to the manifest URL.
  const OWN_PARAMS = new Set(['src', 'player']);
  const PATH = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

  const video = $('video');
  const quality = $('quality');
  const ui = { status: $('status'), notice: $('notice'), latency: $('latency'), list: $('streams'), listStatus: $('list-status'), src: $('src') };

  const page = new URL(location.href);
  const pass = new URLSearchParams();
  for (const [k, v] of page.searchParams) if (!OWN_PARAMS.has(k)) pass.append(k, v);

  const S = {
    engine: page.searchParams.get('player') === 'dash' ? 'dash' : 'hls',
    /** what is selected: { src, path } (path: a stream path when known) */
    target: null,
    /** the running player: { kind: 'hls.js' | 'dash.js' | 'native', api, url } */
    player: null,
    streams: [],
    apiOk: API !== '',
    tick: 0,
    fetching: false,
  };

  // ---- small helpers ------------------------------------------------------

  const el = (tag, text, attrs = {}) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  };
  const status = (text) => { ui.status.textContent = text; };
  const notice = (text) => {
    ui.notice.textContent = text || '';
    ui.notice.hidden = !text;
  };
  const bits = (b) => (!Number.isFinite(b) ? '–' : b >= 1e6 ? `${(b / 1e6).toFixed(2)} Mb/s` : `${Math.round(b / 1e3)} kb/s`);
  const duration = (s) => {
    const t = Math.floor(s);
    const h = Math.floor(t / 3600);
    const m = Math.floor((t % 3600) / 60);
    return `${h ? `${h}h ` : ''}${h || m ? `${m}m ` : ''}${t % 60}s`;
  };
  const hasMse = () => typeof window.MediaSource === 'function' || typeof window.ManagedMediaSource === 'function';
  const nativeHls = () => video.canPlayType('application/vnd.apple.mpegurl') !== '';

  // What each engine needs, and why it cannot play when it cannot.
  function engineProblem(engine) {
    if (engine === 'hls') {
      if (window.Hls && window.Hls.isSupported()) return null;
      if (nativeHls()) return null;
      if (!SERVED.has('hls')) return 'hls.js is not installed on the server (npm install hls.js), and this browser has no native HLS.';
      return 'This browser can play HLS neither with Media Source Extensions nor natively.';
    }
    if (!SERVED.has('dash') || !window.dashjs) return 'dash.js is not installed on the server: npm install dashjs';
    if (!hasMse()) return 'This browser has no Media Source Extensions, which dash.js needs.';
    return null;
  }

  // ---- what to play -------------------------------------------------------

  // A manifest URL for `src` (a stream path, a manifest path or a full URL)
  // in the given engine; { url, engine } (a manifest names its own engine).
  function manifestFor(src, engine, explicit = false) {
    const s = src.trim();
    if (PATH.test(s)) {
      const u = new URL(`${s}/${engine === 'dash' ? 'manifest.mpd' : 'master.m3u8'}`, location.href);
      for (const [k, v] of pass) u.searchParams.append(k, v);
      return { url: u.href, engine };
    }
    let u;
    try {
      u = new URL(s.replace(/^\/+/, ''), location.href);
    } catch {
      return null;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    const file = u.pathname.split('/').pop() || '';
    // the server's own manifest names: the other engine's is next to it
    if (!explicit && file === 'master.m3u8' && engine === 'dash') u.pathname = u.pathname.replace(/master\.m3u8$/, 'manifest.mpd');
    else if (!explicit && file === 'manifest.mpd' && engine === 'hls') u.pathname = u.pathname.replace(/manifest\.mpd$/, 'master.m3u8');
    else if (/\.mpd$/i.test(file)) engine = 'dash';
    else if (/\.m3u8$/i.test(file)) engine = 'hls';
    else return null;
    return { url: u.href, engine };
  }

  function select(src, path) {
    S.target = { src, path: path || (PATH.test(src.trim()) ? src.trim() : null) };
    ui.src.value = src;
    const u = new URL(location.href);
    u.searchParams.set('src', src);
    u.searchParams.set('player', S.engine);
    history.replaceState(null, '', u.href);
    renderList();
    start();
  }

  // ---- players ------------------------------------------------------------

  function stop() {
    const p = S.player;
    S.player = null;
    if (p) {
      try {
        if (p.kind === 'hls.js') p.api.destroy();
        else if (p.kind === 'dash.js') p.api.destroy ? p.api.destroy() : p.api.reset();
      } catch { /* a player that already failed */ }
    }
    video.removeAttribute('src');
    video.load();
    resetQuality();
    ui.latency.textContent = '–';
    ui.latency.removeAttribute('data-seconds');
  }

  function start() {
    stop();
    notice('');
    const t = S.target;
    if (!t) return;
    const stream = t.path ? S.streams.find((s) => s.path === t.path) : null;
    if (stream && !stream.manifests[S.engine === 'dash' ? 'dash' : 'hls']) {
      const other = stream.manifests[S.engine === 'dash' ? 'hls' : 'dash'];
      status(stream.state === 'ended' ? `${t.path} has ended and left nothing to play.`
        : other ? `${t.path} has no ${S.engine === 'dash' ? 'DASH' : 'HLS'} manifest; try the other player.`
          : `${t.path} is starting: waiting for its first segments…`);
      return;
    }
    const m = manifestFor(t.src, S.engine);
    if (!m) {
      status(`Not a stream path (app/name) or a manifest URL (.m3u8, .mpd): ${t.src}`);
      return;
    }
    if (m.engine !== S.engine) setEngine(m.engine);
    const problem = engineProblem(m.engine);
    if (problem) {
      notice(problem);
      status('Cannot play.');
      return;
    }
    status(`Loading ${m.url}`);
    if (m.engine === 'dash') startDash(m.url);
    else if (window.Hls && window.Hls.isSupported()) startHls(m.url);
    else startNative(m.url);
  }

  const play = () => video.play().catch(() => { /* autoplay refused or interrupted: the controls are there */ });

  function startHls(url) {
    const hls = new window.Hls({ backBufferLength: 30 });
    const p = (S.player = { kind: 'hls.js', api: hls, url, recovered: false });
    const E = window.Hls.Events;
    hls.on(E.MANIFEST_PARSED, () => {
      if (S.player !== p) return;
      setLevels(hls.levels.map((l, i) => ({ value: String(i), width: l.width, height: l.height, bitrate: l.bitrate })));
      status(`Playing ${url} with hls.js ${window.Hls.version}`);
      play();
    });
    hls.on(E.LEVEL_SWITCHED, (_, d) => {
      if (S.player === p) showLevel(String(d.level), hls.autoLevelEnabled);
    });
    hls.on(E.ERROR, (_, d) => {
      if (S.player !== p || !d.fatal) return; // hls.js retries the others itself
      if (d.type === window.Hls.ErrorTypes.MEDIA_ERROR && !p.recovered) {
        p.recovered = true;
        hls.recoverMediaError();
        return;
      }
      failed(d.response && d.response.code ? `${d.details} (HTTP ${d.response.code})` : d.details);
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  }

  function startDash(url) {
    const { dashjs } = window;
    const dp = dashjs.MediaPlayer().create();
    const p = (S.player = { kind: 'dash.js', api: dp, url });
    const E = dashjs.MediaPlayer.events;
    dp.updateSettings({ debug: { logLevel: dashjs.Debug.LOG_LEVEL_WARNING } });
    dp.on(E.STREAM_INITIALIZED, () => {
      if (S.player !== p) return;
      setLevels(dp.getRepresentationsByType('video').map((r) => ({ value: r.id, width: r.width, height: r.height, bitrate: r.bandwidth })));
      status(`Playing ${url} with dash.js ${dp.getVersion()}`);
    });
    dp.on(E.QUALITY_CHANGE_RENDERED, (e) => {
      if (S.player === p && e.mediaType === 'video' && e.newRepresentation) showLevel(e.newRepresentation.id, autoDash(dp));
    });
    dp.on(E.ERROR, (e) => {
      if (S.player === p) failed(`${(e.error && (e.error.message || e.error.code)) || 'error'}`);
    });
    dp.on(E.PLAYBACK_ERROR, (e) => {
      if (S.player === p) failed(`playback: ${(e.error && e.error.message) || 'error'}`);
    });
    // dash.js starts playback itself: an early play() would hide its
    // PLAYBACK_STARTED, and a live MPD would then never be refreshed.
    dp.initialize(video, url, true);
  }

  const autoDash = (dp) => dp.getSettings().streaming.abr.autoSwitchBitrate.video !== false;

  function startNative(url) {
    S.player = { kind: 'native', api: null, url };
    video.src = url;
    setLevels([]);
    quality.disabled = true;
    quality.options[0].textContent = 'Auto (browser)';
    status(`Playing ${url} with the browser's own HLS`);
    play();
  }

  function failed(why) {
    status(`The player stopped: ${why}. Pick the stream again to retry.`);
    stop();
    if (S.target) S.target.failed = true; // no automatic restart: the user retries
  }

  video.addEventListener('error', () => {
    // an empty src (a player just stopped) is not an error of the stream
    if (S.player && S.player.kind === 'native' && video.error) failed(video.error.message || `media error ${video.error.code}`);
  });

  function setEngine(engine) {
    S.engine = engine;
    for (const r of document.querySelectorAll('input[name=engine]')) r.checked = r.value === engine;
  }

  for (const r of document.querySelectorAll('input[name=engine]')) {
    r.addEventListener('change', () => {
      if (!r.checked) return;
      S.engine = r.value;
      if (S.target) select(S.target.src, S.target.path);
    });
  }

  // ---- quality picker -----------------------------------------------------

  function resetQuality() {
    quality.replaceChildren(el('option', 'Auto', { value: 'auto' }));
    quality.disabled = true;
    delete quality.dataset.current;
  }

  const label = (l) => `${l.height ? `${l.height}p` : 'audio'}${l.bitrate ? ` · ${bits(l.bitrate)}` : ''}`;

  function setLevels(levels) {
    resetQuality();
    const sorted = [...levels].sort((a, b) => (b.height || 0) - (a.height || 0) || b.bitrate - a.bitrate);
    for (const l of sorted) quality.append(el('option', label(l), { value: l.value, 'data-height': String(l.height || 0), 'data-width': String(l.width || 0) }));
    quality.disabled = sorted.length === 0;
  }

  // Marks the level on screen; in auto mode the Auto option names it.
  function showLevel(value, auto) {
    quality.dataset.current = value;
    const shown = [...quality.options].find((o) => o.value === value);
    quality.options[0].textContent = auto && shown ? `Auto (${shown.textContent.split(' ·')[0]})` : 'Auto';
  }

  quality.addEventListener('change', () => {
    const p = S.player;
    if (!p) return;
    const v = quality.value;
    if (p.kind === 'hls.js') {
      // currentLevel switches at once (flushing the buffer); loadLevel -1
      // hands the choice back to ABR from the next fragment on
      if (v === 'auto') p.api.loadLevel = -1;
      else p.api.currentLevel = Number(v);
    } else if (p.kind === 'dash.js') {
      p.api.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: v === 'auto' } } } });
      if (v !== 'auto') p.api.setRepresentationForTypeById('video', v, true);
    }
  });

  // ---- latency ------------------------------------------------------------

  function latency() {
    const p = S.player;
    if (!p) return null;
    if (p.kind === 'hls.js') return p.api.latency;
    if (p.kind === 'dash.js') return p.api.isDynamic() ? p.api.getCurrentLiveLatency() : null;
    // native HLS: distance to the live edge of what can be played
    return video.seekable.length && video.duration === Infinity ? video.seekable.end(video.seekable.length - 1) - video.currentTime : null;
  }

  function showLatency() {
    const l = latency();
    const live = Number.isFinite(l) && l > 0;
    ui.latency.textContent = live ? `${l.toFixed(1)} s` : S.player && Number.isFinite(video.duration) ? 'VOD' : '–';
    if (live) ui.latency.dataset.seconds = l.toFixed(3);
    else ui.latency.removeAttribute('data-seconds');
  }

  // ---- streams from the API -----------------------------------------------

  async function refresh() {
    if (!S.apiOk || S.fetching) return;
    S.fetching = true;
    try {
      const r = await fetch(`${API}/streams`, { cache: 'no-store', headers: { accept: 'application/json' } });
      if (r.status === 401 || r.status === 403 || r.status === 404) {
        // a token or a separate listener guards the API: no list, but paths still play
        S.apiOk = false;
        ui.listStatus.textContent = `The stream list is not available here (HTTP ${r.status}); enter a stream path above.`;
        return;
      }
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const { streams, recordings } = await r.json();
      // live streams first, then the recordings (ended, playable as VOD) of paths not live again
      const live = Array.isArray(streams) ? streams : [];
      const recorded = Array.isArray(recordings) ? recordings.filter((x) => !live.some((s) => s.path === x.path)) : [];
      S.streams = [...live, ...recorded];
      renderList();
      renderStats();
      follow();
    } catch (e) {
      ui.listStatus.textContent = `The stream list could not be loaded (${e.message}); retrying.`;
    } finally {
      S.fetching = false;
    }
  }

  // Reacts to what the list says about the selected stream.
  function follow() {
    const t = S.target;
    if (!t) {
      // first visit: play the first live stream that can be played
      const first = S.streams.find((s) => s.state === 'live' && (s.manifests.hls || s.manifests.dash));
      if (first && !ui.src.value) select(first.path, first.path);
      return;
    }
    if (!t.path) return;
    const s = S.streams.find((x) => x.path === t.path);
    if (!s) {
      if (S.player) {
        stop();
        status(`${t.path} has ended.`);
      }
      return;
    }
    // a stream that was starting has its manifests now
    if (!S.player && !t.failed && s.manifests[S.engine === 'dash' ? 'dash' : 'hls']) start();
  }

  function renderList() {
    if (!API) return;
    ui.list.replaceChildren();
    if (!S.apiOk) return;
    ui.listStatus.textContent = S.streams.length ? '' : 'No streams yet. Publish one (see below) and it appears here.';
    ui.listStatus.hidden = S.streams.length > 0;
    for (const s of S.streams) {
      const b = el('button', undefined, { type: 'button', 'data-path': s.path });
      b.append(el('span', s.path), el('span', s.state === 'ended' ? 'recording' : s.state, { class: `state ${s.state}` }));
      if (S.target && S.target.path === s.path) b.setAttribute('aria-current', 'true');
      b.title = s.publisher ? `${s.publisher.protocol}${s.publisher.remoteAddress ? ` from ${s.publisher.remoteAddress}` : ''}` : s.state;
      b.addEventListener('click', () => select(s.path, s.path));
      const li = el('li');
      li.append(b);
      ui.list.append(li);
    }
  }

  function viewersOf(s) {
    const v = s.viewers;
    if (typeof v === 'number') return String(v);
    if (v && typeof v === 'object') return Object.entries(v).map(([k, n]) => `${n} ${k}`).join(', ');
    return null;
  }

  function renderStats() {
    const table = $('stats');
    const rtable = $('renditions');
    const s = S.target && S.target.path ? S.streams.find((x) => x.path === S.target.path) : null;
    table.hidden = rtable.hidden = !s;
    if (!s) return;
    const videoRungs = s.renditions.filter((r) => r.type === 'video');
    const encoders = [...new Set(s.renditions.map((r) => r.encoder).filter(Boolean))].join(', ');
    const src = s.source;
    const rows = [
      ['State', s.state],
      ['Publisher', s.publisher ? `${s.publisher.protocol}${s.publisher.remoteAddress ? ` from ${s.publisher.remoteAddress}` : ''}` : '–'],
      ['Uptime', duration(s.uptime)],
      ['Source', src ? `${src.codec} ${src.width}x${src.height} ${Math.round(src.fps * 100) / 100} fps${src.audioCodec ? `, ${src.audioCodec} ${src.sampleRate} Hz` : ''}` : '–'],
      ['Ingest bitrate', bits(s.ingestBitrate), 'ingest'],
      ['Speed', `${s.speed.toFixed(2)}×`, 'speed'],
      ['Dropped frames', String(videoRungs.reduce((n, r) => n + r.dropped, 0)), 'dropped'],
      ['Viewers', viewersOf(s), 'viewers'],
      ['Encoders', encoders || '–', 'encoders'],
      ['Reconnects', String(s.reconnects)],
      ['Recording', s.recording],
    ];
    const tbody = table.tBodies[0];
    tbody.replaceChildren();
    for (const [name, value, key] of rows) {
      if (value === null || value === undefined) continue;
      const tr = el('tr', undefined, key ? { 'data-stat': key } : {});
      tr.append(el('th', name), el('td', value));
      tbody.append(tr);
    }
    const rbody = rtable.tBodies[0];
    rbody.replaceChildren();
    for (const r of s.renditions) {
      const tr = el('tr');
      for (const c of [r.id, r.width ? `${r.width}x${r.height}` : 'audio', bits(r.bitrate), bits(r.measuredBitrate), r.encoder || '–', String(r.frames), String(r.dropped)]) tr.append(el('td', c));
      rbody.append(tr);
    }
  }

  // ---- start-up -----------------------------------------------------------

  // A manifest URL someone entered names its engine; the toggle then swaps
  // between the server's two manifests (master.m3u8 and manifest.mpd).
  function enter(src) {
    const m = manifestFor(src, S.engine, true);
    if (m) setEngine(m.engine);
    select(src, null);
  }

  $('open').addEventListener('submit', (e) => {
    e.preventDefault();
    const src = ui.src.value.trim();
    if (src) enter(src);
  });

  $('publish-hint').textContent = `ffmpeg -re -i input.mp4 -c copy -f flv rtmp://${location.hostname}/live/mine`;

  for (const r of document.querySelectorAll('input[name=engine]')) {
    const problem = engineProblem(r.value);
    // native HLS needs no library; a missing one disables only its own choice
    if (problem) {
      r.disabled = true;
      r.parentElement.title = problem;
    }
  }
  if (MISSING.length) notice(`Not installed on the server: ${MISSING.join(', ')} (npm install ${MISSING.join(' ')}); that player is unavailable.`);
  setEngine(engineProblem(S.engine) && !engineProblem(S.engine === 'dash' ? 'hls' : 'dash') ? (S.engine === 'dash' ? 'hls' : 'dash') : S.engine);

  if (!API) {
    ui.listStatus.textContent = 'The stream list (API) is off on this server: enter a stream path (app/name) or a manifest URL above.';
  }

  setInterval(() => {
    showLatency();
    if (++S.tick % REFRESH_EVERY === 0) void refresh();
  }, 1000);

  const src = page.searchParams.get('src');
  if (src && page.searchParams.has('player')) select(src, null);
  else if (src) enter(src);
  else status(API ? 'Pick a stream.' : 'Enter a stream path, e.g. live/demo.');
  void refresh();
})();
